/// The version of this build of Caravan (`caravan --version`, `caravan_build_info`).
public enum CaravanVersion {
    public static let current = "0.1.0"
}
