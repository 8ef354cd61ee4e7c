// The system's SQLite (Debian's libsqlite3-dev, macOS's SDK), owned by Dragoman as a system
// library target: the store depends on no package's internal module.
#include <sqlite3.h>
