// libxml2 as Caravan uses it: parsing, the tree, XPath.
//
// Debian builds libxml2 with ICU, so <libxml/encoding.h> would pull in the system ICU
// headers, whose types clash with the ICU that swift-corelibs-foundation bundles
// ("'UErrorCode' has different definitions in different modules") whenever one Swift
// compile job sees both. Caravan never touches the ICU part of libxml2's API (only the
// layout of xmlCharEncodingHandler, which it never reads or allocates, depends on it), so
// the ICU declarations are left out.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <libxml/xmlerror.h>
#include <libxml/entities.h>
