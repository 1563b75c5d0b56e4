import CaravanFuzzTargets
import Foundation

/// libFuzzer's entry point: the target named by `CARAVAN_FUZZ_TARGET` on each input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzTargets.run(target, Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

let target: String = {
    let name = ProcessInfo.processInfo.environment["CARAVAN_FUZZ_TARGET"] ?? ""
    guard FuzzTargets.names.contains(name) else {
        FileHandle.standardError.write(
            Data(
                "set CARAVAN_FUZZ_TARGET to one of \(FuzzTargets.names.joined(separator: ", "))\n"
                    .utf8))
        exit(2)
    }
    return name
}()

@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

/// SwiftPM links an executable's `main` to `<module>_main`; libFuzzer's own `main` is
/// replaced by this one, which hands the arguments to libFuzzer's driver.
@_cdecl("CaravanFuzz_main")
public func fuzzMain(
    _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> CInt {
    _ = target
    var argc = argc
    var argv = argv
    return runDriver(&argc, &argv, fuzzOne)
}
