/* The library is built with hidden visibility; only symbols marked CLCNN_API are exported. */
#ifndef CLCNN_EXPORT_H
#define CLCNN_EXPORT_H

#if defined(__GNUC__)
#define CLCNN_API __attribute__((visibility("default")))
#else
#define CLCNN_API
#endif

#endif
