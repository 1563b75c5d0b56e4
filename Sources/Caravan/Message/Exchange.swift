import Synchronization

/// One message's trip through a route: the message, exchange properties, the error caught
/// while processing, and route bookkeeping (the EIP Exchange).
///
/// Exchanges are values: a processor that changes one changes its own copy.
public struct Exchange: Sendable {
    /// A unique id, stable for the exchange's life (`${exchangeId}`).
    public let id: String
    public var message: Message
    /// Exchange properties (`${exchangeProperty.x}`); names are case-sensitive, as in Camel.
    public var properties: [String: Document]
    /// The route currently processing the exchange (`${routeId}`).
    public var routeId: String?
    /// The error being handled, if any (`${exception.message}`).
    public var error: ExchangeError?

    public init(
        id: String = Exchange.newId(), message: Message = Message(),
        properties: [String: Document] = [:], routeId: String? = nil
    ) {
        self.id = id
        self.message = message
        self.properties = properties
        self.routeId = routeId
    }

    /// A new random id (a UUID in its text form).
    public static func newId() -> String { ExchangeIds.next() }
}

/// An error carried by an exchange while it is handled: its kind and message.
public struct ExchangeError: Error, Sendable, Hashable {
    public var kind: String
    public var message: String

    public init(kind: String, message: String) {
        self.kind = kind
        self.message = message
    }
}

/// Random version-4 UUIDs for exchange ids. One is made per exchange, on the hot path:
/// drawing each from the kernel and formatting it through Foundation cost about a
/// microsecond, so a xoshiro256** generator seeded once from the system's randomness
/// makes them instead (122 random bits; ids only need to be unique, not secret).
enum ExchangeIds {
    private static let state = Mutex(Xoshiro256StarStar())

    static func next() -> String {
        var (high, low) = state.withLock { ($0.next(), $0.next()) }
        high = (high & ~0xF000) | 0x4000  // version 4
        low = (low & ~(0xC000 << 48)) | (0x8000 << 48)  // RFC 4122 variant
        let digits = Array("0123456789abcdef".utf8)
        return String(unsafeUninitializedCapacity: 36) { buffer in
            var i = 0
            func put(_ value: UInt64, _ nibbles: Int) {
                for n in stride(from: nibbles - 1, through: 0, by: -1) {
                    buffer[i] = digits[Int((value >> (UInt64(n) * 4)) & 0xF)]
                    i += 1
                }
            }
            put(high >> 32, 8)
            buffer[i] = UInt8(ascii: "-"); i += 1
            put((high >> 16) & 0xFFFF, 4)
            buffer[i] = UInt8(ascii: "-"); i += 1
            put(high & 0xFFFF, 4)
            buffer[i] = UInt8(ascii: "-"); i += 1
            put(low >> 48, 4)
            buffer[i] = UInt8(ascii: "-"); i += 1
            put(low & 0xFFFF_FFFF_FFFF, 12)
            return i
        }
    }
}

/// xoshiro256** (Blackman and Vigna), seeded from `SystemRandomNumberGenerator`.
struct Xoshiro256StarStar: RandomNumberGenerator, Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    init() {
        var g = SystemRandomNumberGenerator()
        s = (g.next(), g.next(), g.next(), g.next())
        if s == (0, 0, 0, 0) { s.0 = 1 }
    }

    mutating func next() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = s.3 << 45 | s.3 >> 19
        return result
    }
}
