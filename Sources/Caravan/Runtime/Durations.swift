extension Duration {
    /// The whole duration in nanoseconds, saturating at about 292 years (what metrics
    /// timers record).
    public var wholeNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? (seconds < 0 ? .min : .max) : whole + attoseconds / 1_000_000_000
    }
}
