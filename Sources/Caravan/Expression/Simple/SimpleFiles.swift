/// `${file:...}`: parts of the current file's name, read from the `CamelFile*` headers
/// the file consumer sets.
enum SimpleFiles {
    static func value(_ part: SimpleFilePart, headers: Headers) -> Document {
        func header(_ name: String) -> Document { headers[name] ?? .null }
        let name = headers["CamelFileName"]?.scalarText
        let onlyName =
            headers["CamelFileNameOnly"]?.scalarText
            ?? name.map { String($0.split(separator: "/").last ?? "") }
        switch part {
        case .name: return name.map(Document.string) ?? .null
        case .nameNoExt: return name.map { .string(dropExtension($0)) } ?? .null
        case .nameExt, .ext:
            return name.map { extensionOf($0).map(Document.string) ?? .null } ?? .null
        case .onlyname: return onlyName.map(Document.string) ?? .null
        case .onlynameNoExt: return onlyName.map { .string(dropExtension($0)) } ?? .null
        case .parent: return header("CamelFileParent")
        case .path: return header("CamelFilePath")
        case .absolutePath: return header("CamelFileAbsolutePath")
        case .length, .size: return header("CamelFileLength")
        case .modified: return header("CamelFileLastModified")
        }
    }

    static func extensionOf(_ name: String) -> String? {
        let last = name.split(separator: "/").last.map(String.init) ?? name
        guard let dot = last.lastIndex(of: "."), dot != last.startIndex else { return nil }
        return String(last[last.index(after: dot)...])
    }

    static func dropExtension(_ name: String) -> String {
        guard let ext = extensionOf(name) else { return name }
        return String(name.dropLast(ext.count + 1))
    }
}
