import DragomanCCC
public import DragomanDialectKit
import DragomanSCIM
import DragomanStore
import DragomanTelness
import DragomanTransport
import DragomanVoltMX

extension DialectRegistry {
    /// Every dialect Dragoman ships, in the order their routes are mounted: adding one to the
    /// gateway is its module plus one line here.
    public static let standard = DialectRegistry([
        .voltMXAudience,
        .voltMXAccessManagement,
        .telnessConnect,
        .deliverySlipCCC,
        .scim,
    ])
}
