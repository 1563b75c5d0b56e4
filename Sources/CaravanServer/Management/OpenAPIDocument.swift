import Caravan

/// The admin API described as OpenAPI 3.1 (`GET /api/v1/openapi.json`). A test checks
/// that every route the management listener serves under `/api/v1` is in it.
enum OpenAPIDocument {
    static let document: Document = {
        do { return try JSONReader().read(Array(text.utf8)) } catch {
            preconditionFailure("the OpenAPI document is not JSON: \(error)")
        }
    }()

    static let text = #"""
        {
         "openapi": "3.1.0",
         "info": {
          "title": "Caravan admin API",
          "version": "1",
          "description": "The management listener's API: routes, messages, dead letters, the audit log and tokens. Errors are RFC 9457 problem documents."
         },
         "components": {
          "securitySchemes": {
           "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "A token from `caravan tokens create`."
           }
          },
          "responses": {
           "Problem": {
            "description": "A problem document",
            "content": {
             "application/problem+json": {
              "schema": {
               "type": "object",
               "required": [
                "type",
                "title",
                "status",
                "detail",
                "hint"
               ],
               "properties": {
                "type": {
                 "type": "string"
                },
                "title": {
                 "type": "string"
                },
                "status": {
                 "type": "integer"
                },
                "detail": {
                 "type": "string"
                },
                "hint": {
                 "type": "string"
                }
               }
              }
             }
            }
           }
          },
          "schemas": {
           "Page": {
            "type": "object",
            "required": [
             "items",
             "next"
            ],
            "properties": {
             "items": {
              "type": "array",
              "items": {
               "type": "object"
              }
             },
             "next": {
              "type": [
               "string",
               "null"
              ]
             },
             "searchedDownTo": {
              "type": "string",
              "description": "a text search over messages in every state reads at most 20,000 messages per call; when they did not fill the page, the arrival number it read down to (follow next to search further back)"
             }
            }
           },
           "Replayed": {
            "type": "object",
            "properties": {
             "replayed": {
              "type": "array",
              "items": {
               "type": "object",
               "properties": {
                "id": {
                 "type": "string",
                 "format": "uuid"
                },
                "replay": {
                 "type": [
                  "string",
                  "null"
                 ],
                 "format": "uuid"
                },
                "route": {
                 "type": "string"
                }
               }
              }
             }
            }
           },
           "Operation": {
            "type": "object",
            "properties": {
             "id": {
              "type": "string",
              "format": "uuid"
             },
             "action": {
              "type": "string"
             },
             "filter": {
              "type": "object"
             },
             "reason": {
              "type": "string"
             },
             "rate": {
              "type": "integer"
             },
             "state": {
              "type": "string",
              "enum": [
               "running",
               "done",
               "cancelled"
              ]
             },
             "total": {
              "type": "integer"
             },
             "processed": {
              "type": "integer"
             },
             "createdBy": {
              "type": "string"
             },
             "createdAt": {
              "type": "string",
              "format": "date-time"
             },
             "finishedAt": {
              "type": [
               "string",
               "null"
              ],
              "format": "date-time"
             }
            }
           }
          }
         },
         "paths": {
          "/api/v1/routes": {
           "get": {
            "summary": "Every route with its messages by state and its oldest ready age",
            "description": "Needs a token with the viewer role.",
            "security": [
             {
              "bearer": []
             }
            ],
            "responses": {
             "200": {
              "description": "OK",
              "content": {
               "application/json": {
                "schema": {
                 "type": "object"
                }
               }
              }
             },
             "401": {
              "$ref": "#/components/responses/Problem"
             },
             "403": {
              "$ref": "#/components/responses/Problem"
             },
             "503": {
              "$ref": "#/components/responses/Problem"
             }
            }
           }
          },
          "/api/v1/messages": {
           "get": {
            "summary": "Messages newest first, filtered, in keyset pages",
            "description": "Needs a token with the viewer role.",
            "security": [
             {
              "bearer": []
             }
            ],
            "responses": {
             "200": {
              "description": "A page",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/Page"
                }
               }
              }
             },
             "400": {
              "$ref": "#/components/responses/Problem"
             },
             "401": {
              "$ref": "#/components/responses/Problem"
             },
             "403": {
              "$ref": "#/components/responses/Problem"
             },
             "503": {
              "$ref": "#/components/responses/Problem"
             }
            },
            "parameters": [
             {
              "name": "route",
              "in": "query",
              "schema": {
               "type": "string"
              }
             },
             {
              "name": "state",
              "in": "query",
              "schema": {
               "type": "string",
               "enum": [
                "ready",
                "running",
                "retrying",
                "done",
                "dead",
                "discarded",
                "replayed"
               ]
              }
             },
             {
              "name": "since",
              "in": "query",
              "schema": {
               "type": "string",
               "format": "date-time"
              }
             },
             {
              "name": "until",
              "in": "query",
              "schema": {
               "type": "string",
               "format": "date-time"
              }
             },
             {
              "name": "header",
              "in": "query",
              "description": "name:value",
              "schema": {
               "type": "string"
              }
             },
             {
              "name": "q",
              "in": "query",
              "description": "text in the body or the last error (among dead letters: indexed; otherwise each call reads at most 20,000 messages, see searchedDownTo)",
              "schema": {
               "type": "string"
              }
             },
             {
              "name": "attempts_gte",
              "in": "query",
              "schema": {
               "type": "integer",
               "minimum": 0
              }
             },
             {
              "name": "cursor",
              "in": "query",
              "schema": {
               "type": "string"
              }
             },
             {
              "name": "limit",
              "in": "query",
              "schema": {
               "type": "integer",
               "minimum": 1,
               "maximum": 500
              }
             }
            ]
           }
          },
          "/api/v1/messages/{id}": {
           "get": {
            "summary": "One message: headers, body, attempts, audit, original, replays",
            "description": "Needs a token with the viewer role.",
            "security": [
             {
              "bearer": []
             }
            ],
            "responses": {
             "200": {
              "description": "The message",
              "content": {
               "application/json": {
                "schema": {
                 "type": "object"
                }
               }
              }
             },
             "404": {
              "$ref": "#/components/responses/Problem"
             },
             "401": {
              "$ref": "#/components/responses/Problem"
             },
             "403": {
              "$ref": "#/components/responses/Problem"
             },
             "503": {
              "$ref": "#/components/responses/Problem"
             }
            },
            "parameters": [
             {
              "name": "id",
              "in": "path",
              "required": true,
              "schema": {
               "type": "string",
               "format": "uuid"
              }
             }
            ]
           }
          },
          "/api/v1/dead-letters/{id}/replay": {
           "post": {
            "summary": "Replay a dead letter (from the failed step, or fromStart)",
            "description": "Needs a token with the operator role.",
            "security": [
             {
              "bearer": []
             }
            ],
            "responses": {
             "200": {
              "description": "Replayed",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/Replayed"
                }
               }
              }
             },
             "404": {
              "$ref": "#/components/responses/Problem"
             },
             "409": {
              "$ref": "#/components/responses/Problem"
             },
             "401": {
              "$ref": "#/components/responses/Problem"
             },
             "403": {
              "$ref": "#/components/responses/Problem"
             },
             "503": {
              "$ref": "#/components/responses/Problem"
             }
            },
            "parameters": [
             {
              "name": "id",
              "in": "path",
              "required": true,
              "schema": {
               "type": "string",
               "format": "uuid"
              }
             }
            ],
            "requestBody": {
             "required": true,
             "content": {
              "application/json": {
               "schema": {
                "type": "object",
                "properties": {
                 "fromStart": {
                  "type": "boolean"
                 },
                 "reason": {
                  "type": "string"
                 }
                }
               }
              }
             }
            }
           }
          },
          "/api/v1/dead-letters/{id}": {
           "put": {
            "summary": "Edit a dead letter's headers and/or body, then replay it",
            "description": "Needs a token with the operator role.",
            "security": [
             {
              "bearer": []
             }
            ],
            "responses": {
             "200": {
              "description": "Replayed",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/Replayed"
                }
               }
              }
             },
             "400": {
              "$ref": "#/components/responses/Problem"
             },
             "404": {
              "$ref": "#/components/responses/Problem"
             },
             "409": {
              "$ref": "#/components/responses/Problem"
             },
             "422": {
              "$ref": "#/components/responses/Problem"
             },
             "401": {
              "$ref": "#/components/responses/Problem"
             },
             "403": {
              "$ref": "#/components/responses/Problem"
             },
             "503": {
              "$ref": "#/components/responses/Problem"
             }
            },
            "parameters": [
             {
              "name": "id",
              "in": "path",
              "required": true,
              "schema": {
               "type": "string",
               "format": "uuid"
              }
             }
            ],
            "requestBody": {
             "required": true,
             "content": {
              "application/json": {
               "schema": {
                "type": "object",
                "required": [
                 "reason"
                ],
                "properties": {
                 "reason": {
                  "type": "string"
                 },
                 "body": {
                  "type": "string"
                 },
                 "bodyBase64": {
                  "type": "string"
                 },
                 "headers": {
                  "type": "object",
                  "additionalProperties": {
                   "type": "string"
                  }
                 },
                 "fromStart": {
                  "type": "boolean"
                 }
                }
               }
              }
             }
            }
           }
          },
          "/api/v1/dead-letters/{id}/discard": {
           "post": {
            "summary": "Discard a dead letter (kept, marked discarded)",
            "description": "Needs a token with the operator role.",
            "security": [
             {
              "bearer": []
             }
            ],
            "responses": {
             "200": {
              "description": "Discarded",
              "content": {
               "application/json": {
                "schema": {
                 "type": "object"
                }
               }
              }
             },
             "400": {
              "$ref": "#/components/responses/Problem"
             },
             "404": {
              "$ref": "#/components/responses/Problem"
             },
             "409": {
              "$ref": "#/components/responses/Problem"
             },
             "401": {
              "$ref": "#/components/responses/Problem"
             },
             "403": {
              "$ref": "#/components/responses/Problem"
             },
             "503": {
              "$ref": "#/components/responses/Problem"
             }
            },
            "parameters": [
             {
              "name": "id",
              "in": "path",
              "required": true,
              "schema": {
               "type": "string",
               "format": "uuid"
              }
             }
            ],
            "requestBody": {
             "required": true,
             "content": {
              "application/json": {
               "schema": {
                "type": "object",
                "required": [
                 "reason"
                ],
                "properties": {
                 "reason": {
                  "type": "string"
                 }
                }
               }
              }
             }
            }
           }
          },
          "/api/v1/audit": {
           "get": {
            "summary": "Operator actions, newest first",
            "description": "Needs a token with the viewer role.",
            "security": [
             {
              "bearer": []
             }
            ],
            "responses": {
             "200": {
              "description": "A page",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/Page"
                }
               }
              }
             },
             "400": {
              "$ref": "#/components/responses/Problem"
             },
             "401": {
              "$ref": "#/components/responses/Problem"
             },
             "403": {
              "$ref": "#/components/responses/Problem"
             },
             "503": {
              "$ref": "#/components/responses/Problem"
             }
            },
            "parameters": [
             {
              "name": "cursor",
              "in": "query",
              "schema": {
               "type": "string"
              }
             },
             {
              "name": "limit",
              "in": "query",
              "schema": {
               "type": "integer",
               "minimum": 1,
               "maximum": 500
              }
             }
            ]
           }
          },
          "/api/v1/tokens": {
           "get": {
            "summary": "Tokens (never their secrets)",
            "description": "Needs a token with the admin role.",
            "security": [
             {
              "bearer": []
             }
            ],
            "responses": {
             "200": {
              "description": "OK",
              "content": {
               "application/json": {
                "schema": {
                 "type": "object"
                }
               }
              }
             },
             "401": {
              "$ref": "#/components/responses/Problem"
             },
             "403": {
              "$ref": "#/components/responses/Problem"
             },
             "503": {
              "$ref": "#/components/responses/Problem"
             }
            }
           },
           "post": {
            "summary": "Create a token; the answer carries its secret, once",
            "description": "Needs a token with the admin role.",
            "security": [
             {
              "bearer": []
             }
            ],
            "responses": {
             "201": {
              "description": "Created",
              "content": {
               "application/json": {
                "schema": {
                 "type": "object",
                 "properties": {
                  "name": {
                   "type": "string"
                  },
                  "role": {
                   "type": "string"
                  },
                  "secret": {
                   "type": "string"
                  }
                 }
                }
               }
              }
             },
             "400": {
              "$ref": "#/components/responses/Problem"
             },
             "409": {
              "$ref": "#/components/responses/Problem"
             },
             "401": {
              "$ref": "#/components/responses/Problem"
             },
             "403": {
              "$ref": "#/components/responses/Problem"
             },
             "503": {
              "$ref": "#/components/responses/Problem"
             }
            },
            "requestBody": {
             "required": true,
             "content": {
              "application/json": {
               "schema": {
                "type": "object",
                "required": [
                 "name",
                 "role"
                ],
                "properties": {
                 "name": {
                  "type": "string"
                 },
                 "role": {
                  "type": "string",
                  "enum": [
                   "viewer",
                   "operator",
                   "admin"
                  ]
                 }
                }
               }
              }
             }
            }
           }
          },
          "/api/v1/tokens/{name}": {
           "delete": {
            "summary": "Revoke a token",
            "description": "Needs a token with the admin role.",
            "security": [
             {
              "bearer": []
             }
            ],
            "responses": {
             "204": {
              "description": "Revoked"
             },
             "404": {
              "$ref": "#/components/responses/Problem"
             },
             "401": {
              "$ref": "#/components/responses/Problem"
             },
             "403": {
              "$ref": "#/components/responses/Problem"
             },
             "503": {
              "$ref": "#/components/responses/Problem"
             }
            },
            "parameters": [
             {
              "name": "name",
              "in": "path",
              "required": true,
              "schema": {
               "type": "string"
              }
             }
            ]
           }
          },
          "/api/v1/openapi.json": {
           "get": {
            "summary": "This document",
            "security": [],
            "responses": {
             "200": {
              "description": "OpenAPI 3.1",
              "content": {
               "application/json": {
                "schema": {
                 "type": "object"
                }
               }
              }
             }
            }
           }
          },
          "/api/v1/operations": {
           "get": {
            "summary": "Bulk operations, newest first",
            "description": "Needs a token with the viewer role.",
            "security": [
             {
              "bearer": []
             }
            ],
            "responses": {
             "200": {
              "description": "OK",
              "content": {
               "application/json": {
                "schema": {
                 "type": "object"
                }
               }
              }
             },
             "401": {
              "$ref": "#/components/responses/Problem"
             },
             "403": {
              "$ref": "#/components/responses/Problem"
             },
             "503": {
              "$ref": "#/components/responses/Problem"
             }
            }
           },
           "post": {
            "summary": "Replay or discard every dead letter a filter matches (dryRun: count and sample)",
            "description": "Needs a token with the operator role.",
            "security": [
             {
              "bearer": []
             }
            ],
            "responses": {
             "200": {
              "description": "Dry run: count and sample",
              "content": {
               "application/json": {
                "schema": {
                 "type": "object",
                 "properties": {
                  "count": {
                   "type": "integer"
                  },
                  "sample": {
                   "type": "array",
                   "items": {
                    "type": "string",
                    "format": "uuid"
                   }
                  }
                 }
                }
               }
              }
             },
             "201": {
              "description": "Created",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/Operation"
                }
               }
              }
             },
             "400": {
              "$ref": "#/components/responses/Problem"
             },
             "409": {
              "$ref": "#/components/responses/Problem"
             },
             "401": {
              "$ref": "#/components/responses/Problem"
             },
             "403": {
              "$ref": "#/components/responses/Problem"
             },
             "503": {
              "$ref": "#/components/responses/Problem"
             }
            },
            "requestBody": {
             "required": true,
             "content": {
              "application/json": {
               "schema": {
                "type": "object",
                "required": [
                 "action"
                ],
                "properties": {
                 "action": {
                  "type": "string",
                  "enum": [
                   "replay",
                   "replay from start",
                   "discard"
                  ]
                 },
                 "filter": {
                  "type": "object",
                  "description": "the list's filters: route, state, since, until, header, q, attempts_gte"
                 },
                 "rate": {
                  "type": "integer",
                  "minimum": 1,
                  "maximum": 10000
                 },
                 "reason": {
                  "type": "string"
                 },
                 "dryRun": {
                  "type": "boolean"
                 }
                }
               }
              }
             }
            }
           }
          },
          "/api/v1/operations/{id}": {
           "get": {
            "summary": "One operation with its progress",
            "description": "Needs a token with the viewer role.",
            "security": [
             {
              "bearer": []
             }
            ],
            "responses": {
             "200": {
              "description": "The operation",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/Operation"
                }
               }
              }
             },
             "404": {
              "$ref": "#/components/responses/Problem"
             },
             "401": {
              "$ref": "#/components/responses/Problem"
             },
             "403": {
              "$ref": "#/components/responses/Problem"
             },
             "503": {
              "$ref": "#/components/responses/Problem"
             }
            },
            "parameters": [
             {
              "name": "id",
              "in": "path",
              "required": true,
              "schema": {
               "type": "string",
               "format": "uuid"
              }
             }
            ]
           }
          },
          "/api/v1/operations/{id}/cancel": {
           "post": {
            "summary": "Cancel a running operation",
            "description": "Needs a token with the operator role.",
            "security": [
             {
              "bearer": []
             }
            ],
            "responses": {
             "200": {
              "description": "Cancelled",
              "content": {
               "application/json": {
                "schema": {
                 "$ref": "#/components/schemas/Operation"
                }
               }
              }
             },
             "404": {
              "$ref": "#/components/responses/Problem"
             },
             "409": {
              "$ref": "#/components/responses/Problem"
             },
             "401": {
              "$ref": "#/components/responses/Problem"
             },
             "403": {
              "$ref": "#/components/responses/Problem"
             },
             "503": {
              "$ref": "#/components/responses/Problem"
             }
            },
            "parameters": [
             {
              "name": "id",
              "in": "path",
              "required": true,
              "schema": {
               "type": "string",
               "format": "uuid"
              }
             }
            ]
           }
          }
         }
        }
        """#
}
