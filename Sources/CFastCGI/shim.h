#ifndef ATTENDANCE_CFASTCGI_SHIM_H
#define ATTENDANCE_CFASTCGI_SHIM_H
#include <fcgiapp.h>
/* glibc's allocator knobs (mallopt, malloc_trim): the responder's serving loop
   keeps its memory small with them. */
#include <malloc.h>
#endif
