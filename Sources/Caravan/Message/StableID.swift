import Foundation

/// Stable ids derived from a key: the same key gives the same UUID on every node and
/// after every restart (an RFC 9562 version 8 UUID holding a 122-bit hash of the key).
/// Not cryptographic — keys are made of ids Caravan chose, not of anything a sender
/// controls.
public enum StableID {
    public static func uuid(for key: String) -> UUID {
        // Two independent 64-bit FNV-1a hashes, each finished with SplitMix64's mixer
        // (FNV alone mixes its last bytes poorly).
        var a: UInt64 = 0xcbf2_9ce4_8422_2325
        var b: UInt64 = 0x6c62_272e_07bb_0142
        for byte in key.utf8 {
            a = (a ^ UInt64(byte)) &* 0x100_0000_01b3
            b = (b ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 &+ 0x9e37_79b9
        }
        func mix(_ x: UInt64) -> UInt64 {
            var z = x &+ 0x9e37_79b9_7f4a_7c15
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
        return UUID(high: mix(a ^ (b >> 7)), low: mix(b ^ (a << 13)), version: 8)
    }
}
