import Foundation
import Synchronization

/// The UUIDs Caravan makes: random ones for exchanges, time-ordered ones for messages,
/// derived ones (``StableID``); all built by ``init(high:low:version:)`` and written by
/// ``lowercasedText``.
extension UUID {
    /// A UUID of `version` from 128 bits, big-endian, with the version nibble and the
    /// RFC 9562 variant written over the bits they take.
    init(high: UInt64, low: UInt64, version: UInt8) {
        let high = (high & ~0xF000) | UInt64(version & 0xF) << 12
        let low = (low & ~(0xC000 << 48)) | (0x8000 << 48)
        let b = { (value: UInt64, byte: UInt64) in
            UInt8(truncatingIfNeeded: value >> (56 - 8 * byte))
        }
        self.init(
            uuid: (
                b(high, 0), b(high, 1), b(high, 2), b(high, 3), b(high, 4), b(high, 5),
                b(high, 6), b(high, 7), b(low, 0), b(low, 1), b(low, 2), b(low, 3), b(low, 4),
                b(low, 5), b(low, 6), b(low, 7)
            ))
    }

    /// A random version 4 UUID, drawn from ``RandomBits``.
    static func random() -> UUID {
        let (high, low) = RandomBits.next()
        return UUID(high: high, low: low, version: 4)
    }

    /// A new message id: an RFC 9562 version 7 UUID — 48 bits of Unix time in
    /// milliseconds, then 74 random bits.
    ///
    /// Why not `UUID()`: ids made in time order land at the right-hand edge of the
    /// messages' primary-key index rather than on a random page of it (fewer index pages
    /// dirtied and written per commit), and on Linux `UUID()` opens, reads and closes
    /// `/dev/urandom` for every id — three system calls per accepted message.
    public static func timeOrdered(at date: Date = Date()) -> UUID {
        let milliseconds = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        let (random, low) = RandomBits.next()
        return UUID(high: milliseconds << 16 | random & 0xFFFF, low: low, version: 7)
    }

    /// The lowercase text form (`8-4-4-4-12` hex), as exchange and message ids are
    /// written; without Foundation's formatter, which goes through printf (measurable
    /// per message).
    public var lowercasedText: String {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        return withUnsafeBytes(of: uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { out in
                var o = 0
                for (i, b) in bytes.enumerated() {
                    if i == 4 || i == 6 || i == 8 || i == 10 {
                        out[o] = UInt8(ascii: "-")
                        o += 1
                    }
                    out[o] = hex[Int(b >> 4)]
                    out[o + 1] = hex[Int(b & 0x0F)]
                    o += 2
                }
                return o
            }
        }
    }
}

/// Random bits for ids, made on the hot path: drawing each from the kernel (and, for
/// `UUID()`, formatting through Foundation) cost about a microsecond, so a xoshiro256**
/// generator seeded once from the system's randomness makes them instead (ids only need
/// to be unique, not secret).
enum RandomBits {
    private static let state = Mutex(Xoshiro256StarStar())

    static func next() -> (UInt64, UInt64) { state.withLock { ($0.next(), $0.next()) } }
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
