/*
 * HAVE_MODULE_IMPORT_NS_TOKEN: MODULE_IMPORT_NS() takes a bare token;
 * v6.13 ("module: Convert symbol namespace to string literal") made it
 * a string literal, and the token form no longer compiles.
 */
#include <linux/module.h>
MODULE_IMPORT_NS(IOMMUFD_INTERNAL);
