/// A JSON Schema (draft 2020-12) of the route file subset Caravan loads, built from the
/// same tables the loader checks keys against, so editors autocomplete and flag exactly
/// what `caravan validate` accepts and refuses.
public enum RouteSchema {
    public static var document: Document {
        var defs = DocumentObject()
        let scalar: Document = ["type": ["string", "number", "boolean"]]
        defs.append(key: "scalar", value: scalar)
        defs.append(
            key: "steps", value: ["type": ["array", "null"], "items": ["$ref": "#/$defs/step"]])
        defs.append(
            key: "stepsBlock",
            value: closed(["steps": ref("steps"), "id": scalar, "description": scalar]))

        // Languages: text, or a mapping with `expression` (or `token`) and options.
        var languageProperties = DocumentObject()
        for language in StepCatalog.languages {
            let options = LoadContext.languageOptions[language] ?? ["expression"]
            var props = DocumentObject()
            for o in options {
                props.append(
                    key: o, value: o == "namespace" ? ["type": ["array", "object"]] : scalar)
            }
            defs.append(
                key: "language-\(language)",
                value: ["oneOf": [["type": ["string", "number", "boolean"]], closedObject(props)]])
            languageProperties.append(key: language, value: ref("language-\(language)"))
        }
        defs.append(
            key: "expression",
            value: [
                "type": "object", "minProperties": 1, "maxProperties": 1,
                "properties": .object(languageProperties), "additionalProperties": false,
            ])
        defs.append(
            key: "redeliveryPolicy",
            value: closed(
                Dictionary(uniqueKeysWithValues: LoadContext.redeliveryKeys.map { ($0, scalar) })))
        defs.append(key: "errorHandler", value: errorHandler(scalar))
        defs.append(
            key: "endpoint",
            value: [
                "oneOf": [
                    ["type": "string"],
                    closed([
                        "uri": scalar, "parameters": ["type": "object"], "id": scalar,
                        "description": scalar, "pattern": scalar, "steps": ref("steps"),
                    ]),
                ]
            ])
        defs.append(key: "dataFormat", value: dataFormat(scalar))

        // Steps: one key each, the step's name.
        var stepProperties = DocumentObject()
        for (name, spec) in StepCatalog.steps.sorted(by: { $0.key < $1.key }) {
            var props = DocumentObject()
            for key in StepCatalog.commonKeys { props.append(key: key, value: scalar) }
            for key in spec.keys {
                props.append(key: key, value: property(step: name, key: key, scalar: scalar))
            }
            if spec.expression {
                props.append(key: "expression", value: ref("expression"))
                for language in StepCatalog.languages {
                    props.append(key: language, value: ref("language-\(language)"))
                }
            }
            var definition: Document = closedObject(props)
            if [
                "to", "toD", "log", "wireTap", "removeHeader", "removeHeaders", "removeProperty",
                "removeProperties", "convertBodyTo",
            ].contains(name) {
                definition = ["oneOf": [["type": "string"], definition]]
            } else if name == "stop" {
                definition = ["oneOf": [["type": "null"], definition]]
            }
            defs.append(key: "step-\(name)", value: definition)
            stepProperties.append(key: name, value: ref("step-\(name)"))
        }
        defs.append(
            key: "step",
            value: [
                "type": "object", "minProperties": 1, "maxProperties": 1,
                "properties": .object(stepProperties), "additionalProperties": false,
            ])

        var fromProps = DocumentObject()
        for key in StepCatalog.fromKeys {
            fromProps.append(
                key: key,
                value: key == "steps"
                    ? ref("steps") : (key == "parameters" ? ["type": "object"] : scalar))
        }
        defs.append(
            key: "from", value: ["allOf": [closedObject(fromProps), ["required": ["uri"]]]])
        var routeProps = DocumentObject()
        for key in StepCatalog.routeKeys {
            routeProps.append(
                key: key,
                value: key == "from"
                    ? ref("from") : (key == "errorHandler" ? ref("errorHandler") : scalar))
        }
        defs.append(
            key: "route", value: ["allOf": [closedObject(routeProps), ["required": ["from"]]]])
        defs.append(key: "onException", value: onException(scalar))
        defs.append(
            key: "routeConfiguration",
            value: closed([
                "id": scalar, "description": scalar, "precondition": scalar,
                "errorHandler": ref("errorHandler"),
                "onException": [
                    "type": "array", "items": closed(["onException": ref("onException")]),
                ],
            ]))
        defs.append(
            key: "beans",
            value: [
                "type": "array",
                "items": closed(["name": scalar, "type": scalar, "properties": ["type": "object"]]),
            ])

        let item: Document = [
            "type": "object", "minProperties": 1, "maxProperties": 1, "additionalProperties": false,
            "properties": [
                "route": ref("route"), "from": ref("from"),
                "routeConfiguration": ref("routeConfiguration"),
                "errorHandler": ref("errorHandler"), "onException": ref("onException"),
                "beans": ref("beans"),
            ],
        ]
        return [
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://caravan.dev/schemas/routes.json",
            "title": "Caravan route file (Camel YAML DSL subset)",
            "type": "array", "items": item, "$defs": .object(defs),
        ]
    }

    static func ref(_ name: String) -> Document { ["$ref": .string("#/$defs/\(name)")] }

    static func closed(_ properties: [String: Document]) -> Document {
        closedObject(
            DocumentObject(
                properties.sorted { $0.key < $1.key }.map { .init(key: $0.key, value: $0.value) }))
    }

    static func closedObject(_ properties: DocumentObject) -> Document {
        [
            "type": ["object", "null"], "properties": .object(properties),
            "additionalProperties": false,
        ]
    }

    static func property(step: String, key: String, scalar: Document) -> Document {
        switch key {
        case "steps": return ref("steps")
        case "parameters": return ["type": "object"]
        case "when": return ["type": "array", "items": whenItem(scalar)]
        case "otherwise": return ["oneOf": [ref("stepsBlock"), ref("steps")]]
        case "json", "jacksonXml", "csv": return dataFormatOptions(key, scalar)
        case "doCatch":
            let c = closed([
                "id": scalar, "description": scalar, "exception": ["type": ["array", "string"]],
                "onWhen": condition(scalar), "steps": ref("steps"),
            ])
            return ["oneOf": [["type": "array", "items": c], c]]
        case "doFinally": return ref("stepsBlock")
        case "header": return ["type": ["array", "string"]]
        default: return scalar
        }
    }

    static func whenItem(_ scalar: Document) -> Document {
        var props = DocumentObject()
        for key in ["id", "description", "note"] { props.append(key: key, value: scalar) }
        props.append(key: "steps", value: ref("steps"))
        props.append(key: "expression", value: ref("expression"))
        for language in StepCatalog.languages {
            props.append(key: language, value: ref("language-\(language)"))
        }
        return closedObject(props)
    }

    static func condition(_ scalar: Document) -> Document {
        var props = DocumentObject()
        props.append(key: "id", value: scalar)
        props.append(key: "expression", value: ref("expression"))
        for language in StepCatalog.languages {
            props.append(key: language, value: ref("language-\(language)"))
        }
        return ["oneOf": [["type": "boolean"], closedObject(props)]]
    }

    static func dataFormatOptions(_ name: String, _ scalar: Document) -> Document {
        var props = DocumentObject()
        for key in LoadContext.dataFormatOptions[name] ?? [] {
            props.append(key: key, value: key == "header" ? ["type": ["array", "string"]] : scalar)
        }
        return closedObject(props)
    }

    static func dataFormat(_ scalar: Document) -> Document {
        var props = DocumentObject()
        for name in ["json", "jacksonXml", "csv"] {
            props.append(key: name, value: dataFormatOptions(name, scalar))
        }
        return [
            "type": "object", "minProperties": 1, "maxProperties": 1, "properties": .object(props),
            "additionalProperties": false,
        ]
    }

    static func errorHandler(_ scalar: Document) -> Document {
        let policy = ref("redeliveryPolicy")
        return [
            "type": "object", "minProperties": 1, "maxProperties": 1, "additionalProperties": false,
            "properties": [
                "deadLetterChannel": closed([
                    "id": scalar, "deadLetterUri": scalar, "redeliveryPolicy": policy,
                    "useOriginalMessage": scalar, "useOriginalBody": scalar,
                    "deadLetterHandleNewException": scalar, "level": scalar, "logName": scalar,
                ]),
                "defaultErrorHandler": closed([
                    "id": scalar, "redeliveryPolicy": policy, "useOriginalMessage": scalar,
                    "useOriginalBody": scalar, "level": scalar, "logName": scalar,
                ]),
                "noErrorHandler": closed(["id": scalar]),
            ],
        ]
    }

    static func onException(_ scalar: Document) -> Document {
        closed([
            "id": scalar, "description": scalar, "exception": ["type": ["array", "string"]],
            "onWhen": condition(scalar),
            "handled": condition(scalar), "continued": condition(scalar),
            "redeliveryPolicy": ref("redeliveryPolicy"),
            "useOriginalMessage": scalar, "useOriginalBody": scalar, "steps": ref("steps"),
        ])
    }
}
