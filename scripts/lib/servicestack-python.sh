# Sourced by scripts/test: `servicestack_python DIR` makes a Python virtual environment in DIR
# holding ServiceStack's own Python client (PyPI `servicestack`, pinned) and its dependencies,
# once, and prints the path of its python. The CCC tests drive Dragoman with that client.
servicestack_python() {
    local dir="$1" version="0.1.15"
    if [ ! -x "$dir/bin/python" ] || ! "$dir/bin/python" -c "import servicestack" 2>/dev/null; then
        rm -rf "$dir"
        python3 -m venv "$dir" >&2 || return 1
        local attempt
        for attempt in 1 2 3; do
            "$dir/bin/pip" install --quiet --disable-pip-version-check "servicestack==$version" >&2 && break
            [ "$attempt" = 3 ] && return 1
            sleep 5
        done
    fi
    echo "$dir/bin/python"
}
