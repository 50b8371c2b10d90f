#ifndef CCURL_H
#define CCURL_H

#include <curl/curl.h>
#include <stddef.h>

/* libcurl's curl_easy_setopt, curl_multi_setopt and curl_easy_getinfo are variadic, which Swift
 * cannot call. These wrappers give each argument type its own typed, non-variadic entry point. */

typedef size_t (*ccurl_data_callback)(char *data, size_t size, size_t nmemb, void *userdata);

CURLcode ccurl_easy_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode ccurl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value);
CURLcode ccurl_easy_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode ccurl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode ccurl_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value);
/* For CURLOPT_WRITEFUNCTION, CURLOPT_HEADERFUNCTION and CURLOPT_READFUNCTION (same signature). */
CURLcode ccurl_easy_setopt_data_callback(CURL *handle, CURLoption option, ccurl_data_callback callback);
CURLcode ccurl_easy_setopt_write_callback(CURL *handle, ccurl_data_callback callback);
CURLcode ccurl_easy_setopt_header_callback(CURL *handle, ccurl_data_callback callback);
CURLcode ccurl_easy_setopt_read_callback(CURL *handle, ccurl_data_callback callback);

CURLcode ccurl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode ccurl_easy_getinfo_pointer(CURL *handle, CURLINFO info, void **value);
CURLcode ccurl_easy_getinfo_string(CURL *handle, CURLINFO info, const char **value);

/* curl_global_init(CURL_GLOBAL_DEFAULT); the flag is a macro expression Swift does not import reliably. */
CURLcode ccurl_global_init_default(void);

CURLMcode ccurl_multi_setopt_long(CURLM *multi, CURLMoption option, long value);

/* CURLMsg's `data` is a union; these read it without Swift having to import the union. */
CURLMSG ccurl_msg_kind(const CURLMsg *msg);
CURL *ccurl_msg_easy_handle(const CURLMsg *msg);
CURLcode ccurl_msg_result(const CURLMsg *msg);

#endif
