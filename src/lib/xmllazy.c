/*
 * xmllazy.c - ground layer: the few libxml2 functions the HTML pages use
 * (report.c, stats.c), loaded when the first page is made rather than at
 * every start.  libxml2 brings ICU and the C++ runtime with it: loading
 * them costs most of the time a command takes to start, and only the two
 * HTML outputs need them.
 *
 * Each function here has libxml2's name and prototype (its headers are
 * included, so the compiler holds them to it) and calls libxml2's own,
 * found with dlsym in the library dlopen'ed by its soname, which the build
 * reads off the libxml2 it compiles against.  The program is linked with
 * --as-needed, so with every function used defined here it does not list
 * libxml2 at all; a function used elsewhere and missing here is taken
 * from libxml2 as before (the program is then only slower to start).
 * When libxml2 cannot be loaded, every function fails as it does when out
 * of memory (NULL, -1), which the pages report as an error.
 */
#include <dlfcn.h>
#include <stddef.h>

#include <libxml/HTMLtree.h>
#include <libxml/tree.h>
#include <libxml/xmlIO.h>

#ifndef CV_LIBXML2_SONAME
#define CV_LIBXML2_SONAME "libxml2.so.2"
#endif

static void *xml_sym(const char *name)
{
	static void *lib;

	if (!lib)
		lib = dlopen(CV_LIBXML2_SONAME, RTLD_NOW | RTLD_LOCAL);
	return lib ? dlsym(lib, name) : NULL;
}

/* A function returning ret, or fail when libxml2 is not there. */
#define LAZY(ret, name, params, args, fail)                                                        \
	ret name params                                                                            \
	{                                                                                          \
		static ret(*f) params;                                                             \
		if (!f)                                                                            \
			*(void **)(&f) = xml_sym(#name);                                           \
		return f ? f args : fail;                                                          \
	}
/* A function returning nothing (nothing to do without libxml2). */
#define LAZY_VOID(name, params, args)                                                              \
	void name params                                                                           \
	{                                                                                          \
		static void(*f) params;                                                            \
		if (!f)                                                                            \
			*(void **)(&f) = xml_sym(#name);                                           \
		if (f)                                                                             \
			f args;                                                                    \
	}

LAZY(htmlDocPtr, htmlNewDocNoDtD, (const xmlChar *uri, const xmlChar *ext), (uri, ext), NULL)
LAZY_VOID(htmlDocContentDumpFormatOutput,
	  (xmlOutputBufferPtr buf, xmlDocPtr cur, const char *encoding, int format),
	  (buf, cur, encoding, format))
LAZY(xmlOutputBufferPtr, xmlAllocOutputBuffer, (xmlCharEncodingHandlerPtr encoder), (encoder), NULL)
LAZY(xmlDtdPtr, xmlCreateIntSubset,
     (xmlDocPtr doc, const xmlChar *name, const xmlChar *ext, const xmlChar *sys),
     (doc, name, ext, sys), NULL)
LAZY(xmlNodePtr, xmlDocSetRootElement, (xmlDocPtr doc, xmlNodePtr root), (doc, root), NULL)
LAZY_VOID(xmlFreeDoc, (xmlDocPtr cur), (cur))
LAZY_VOID(xmlFreeNode, (xmlNodePtr cur), (cur))
LAZY(xmlNodePtr, xmlNewNode, (xmlNsPtr ns, const xmlChar *name), (ns, name), NULL)
LAZY(xmlAttrPtr, xmlNewProp, (xmlNodePtr node, const xmlChar *name, const xmlChar *value),
     (node, name, value), NULL)
LAZY(xmlNodePtr, xmlNewTextChild,
     (xmlNodePtr parent, xmlNsPtr ns, const xmlChar *name, const xmlChar *content),
     (parent, ns, name, content), NULL)
LAZY(int, xmlOutputBufferClose, (xmlOutputBufferPtr out), (out), -1)
LAZY(int, xmlOutputBufferFlush, (xmlOutputBufferPtr out), (out), -1)
LAZY(const xmlChar *, xmlOutputBufferGetContent, (xmlOutputBufferPtr out), (out), NULL)
LAZY(size_t, xmlOutputBufferGetSize, (xmlOutputBufferPtr out), (out), 0)
