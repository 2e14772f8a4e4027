#pragma once
// libxml2 built with ICU includes <unicode/ucnv.h> from its public headers; that clashes with
// Foundation's own copy of ICU in any module that sees both. Quarry never touches the ICU
// converter fields (the struct that holds them is only used through pointers), so hide them.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/HTMLparser.h>
#include <libxml/HTMLtree.h>
#include <libxml/tree.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>
