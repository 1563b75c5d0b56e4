import Metrics

/// Who did an operator action, and how: recorded in the audit log with it.
public struct Operator: Sendable, Equatable {
    /// How the action came in.
    public enum Channel: String, Sendable {
        case api, console, cli
    }

    /// The token's name (API, console), or the OS user (CLI).
    public var name: String
    public var via: Channel

    public init(_ name: String, via: Channel) {
        self.name = name
        self.via = via
    }
}

/// `caravan_operator_actions_total{action,via}`: one per action (a bulk action counts
/// once), through swift-metrics.
enum OperatorMetrics {
    static func action(_ action: String, via: Operator.Channel) {
        Counter(
            label: "caravan_operator_actions_total",
            dimensions: [("action", action), ("via", via.rawValue)]
        ).increment()
    }
}
