// libjq (Debian's libjq-dev) for Camel's jq language: compile a program, run it over a
// JSON value, read the results back as JSON text.
#include <jq.h>
#include <jv.h>
