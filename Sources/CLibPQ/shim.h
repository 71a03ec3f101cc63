#ifndef RECUR_CLIBPQ_SHIM_H
#define RECUR_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
