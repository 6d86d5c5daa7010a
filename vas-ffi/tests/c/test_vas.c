/* C test suite of libvas, run by scripts/test.d/bindings.sh under valgrind.
 * Build: gcc -DVAS_TEST_PANIC -Ivas-ffi/include test_vas.c libvas.a (built with
 * --features test-panic) -lpthread -ldl -lm. Prints "N passed, M failed". */
#define _POSIX_C_SOURCE 200809L
#include "vas.h"
#include "check.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *ABC[] = {
    NULL,
    "900150983cd24fb0d6963f7d28e17f72",
    "a9993e364706816aba3e25717850c26c9cd0d89d",
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
};

static void test_version_and_names(void) {
  const char *v = vas_version();
  CHECK(v != NULL && strlen(v) > 0 && strchr(v, '.') != NULL);
  CHECK(strcmp(vas_result_name(VAS_RESULT_OK), "Ok") == 0);
  CHECK(strcmp(vas_result_name(VAS_RESULT_NOT_FOUND), "NotFound") == 0);
  CHECK(strcmp(vas_result_name(VAS_RESULT_INVALID_INPUT), "InvalidInput") == 0);
  CHECK(strcmp(vas_result_name(VAS_RESULT_INTERNAL), "Internal") == 0);
  CHECK(strcmp(vas_result_name(VAS_RESULT_NULL_PARAMETER), "NullParameter") == 0);
  CHECK(strcmp(vas_result_name(VAS_RESULT_BUFFER_TOO_SMALL), "BufferTooSmall") == 0);
  CHECK(strcmp(vas_result_name(VAS_RESULT_PANIC), "Panic") == 0);
  CHECK(vas_result_name(999) == NULL);
  CHECK(vas_result_name(-1) == NULL);
  /* Every value from 1 to 15 names a kind. */
  for (int i = 1; i <= VAS_RESULT_INTERNAL; i++) CHECK(vas_result_name(i) != NULL);
  CHECK(vas_result_name(VAS_RESULT_INTERNAL + 1) == NULL);
}

static void test_digest_bytes(void) {
  char buf[129];
  size_t n = 0;
  for (int alg = VAS_DIGEST_ALGORITHM_MD5; alg <= VAS_DIGEST_ALGORITHM_SHA512; alg++) {
    CHECK_RESULT(vas_digest_bytes(alg, (const uint8_t *)"abc", 3, buf, sizeof buf, &n),
                 VAS_RESULT_OK);
    CHECK(strcmp(buf, ABC[alg]) == 0);
    CHECK(n == strlen(ABC[alg]));
    CHECK(vas_digest_hex_len(alg) == strlen(ABC[alg]));
  }
  /* Empty input, NULL data allowed with length 0. */
  CHECK_RESULT(vas_digest_bytes(VAS_DIGEST_ALGORITHM_MD5, NULL, 0, buf, sizeof buf, &n),
               VAS_RESULT_OK);
  CHECK(strcmp(buf, "d41d8cd98f00b204e9800998ecf8427e") == 0);
  /* Size query. */
  n = 0;
  CHECK_RESULT(vas_digest_bytes(VAS_DIGEST_ALGORITHM_SHA256, (const uint8_t *)"abc", 3, NULL, 0, &n),
               VAS_RESULT_OK);
  CHECK(n == 65);
  /* Buffer too small: error, outputs untouched, last error says how much is needed. */
  memset(buf, 'x', sizeof buf);
  n = 42;
  CHECK_RESULT(vas_digest_bytes(VAS_DIGEST_ALGORITHM_SHA256, (const uint8_t *)"abc", 3, buf, 64, &n),
               VAS_RESULT_BUFFER_TOO_SMALL);
  CHECK(n == 42);
  CHECK(buf[0] == 'x');
  CHECK(vas_last_error_result() == VAS_RESULT_BUFFER_TOO_SMALL);
  char detail[512];
  size_t dn = 0;
  CHECK_RESULT(vas_last_error_detail(detail, sizeof detail, &dn), VAS_RESULT_OK);
  CHECK(strstr(detail, "\"needed\":65") != NULL);
  /* Unknown algorithm. */
  CHECK_RESULT(vas_digest_bytes(0, (const uint8_t *)"abc", 3, buf, sizeof buf, &n),
               VAS_RESULT_INVALID_INPUT);
  CHECK_RESULT(vas_digest_bytes(6, (const uint8_t *)"abc", 3, buf, sizeof buf, &n),
               VAS_RESULT_INVALID_INPUT);
  CHECK(vas_digest_hex_len(6) == 0);
  CHECK(vas_digest_algorithm_name(6) == NULL);
  CHECK(strcmp(vas_digest_algorithm_name(VAS_DIGEST_ALGORITHM_SHA384), "SHA-384") == 0);
  /* NULL parameters. */
  CHECK_RESULT(vas_digest_bytes(VAS_DIGEST_ALGORITHM_MD5, NULL, 3, buf, sizeof buf, &n),
               VAS_RESULT_NULL_PARAMETER);
  CHECK_RESULT(vas_digest_bytes(VAS_DIGEST_ALGORITHM_MD5, (const uint8_t *)"a", 1, buf, sizeof buf, NULL),
               VAS_RESULT_NULL_PARAMETER);
  CHECK_RESULT(vas_digest_bytes(VAS_DIGEST_ALGORITHM_MD5, (const uint8_t *)"a", 1, NULL, 10, &n),
               VAS_RESULT_NULL_PARAMETER);
}

static void test_algorithm_names(void) {
  vas_digest_algorithm alg = 0;
  CHECK_RESULT(vas_digest_algorithm_from_name("SHA-256", &alg), VAS_RESULT_OK);
  CHECK(alg == VAS_DIGEST_ALGORITHM_SHA256);
  CHECK_RESULT(vas_digest_algorithm_from_name("sha512", &alg), VAS_RESULT_OK);
  CHECK(alg == VAS_DIGEST_ALGORITHM_SHA512);
  alg = 0;
  CHECK_RESULT(vas_digest_algorithm_from_name("CRC32", &alg), VAS_RESULT_INVALID_INPUT);
  CHECK(alg == 0);
  char msg[256];
  size_t n = 0;
  CHECK_RESULT(vas_last_error_message(msg, sizeof msg, &n), VAS_RESULT_OK);
  CHECK(strstr(msg, "CRC32") != NULL);
  CHECK(n == strlen(msg));
  CHECK_RESULT(vas_digest_algorithm_from_name(NULL, &alg), VAS_RESULT_NULL_PARAMETER);
  CHECK_RESULT(vas_digest_algorithm_from_name("MD5", NULL), VAS_RESULT_NULL_PARAMETER);
  CHECK_RESULT(vas_last_error_detail(msg, sizeof msg, &n), VAS_RESULT_OK);
  CHECK(strstr(msg, "\"parameter\":\"out_alg\"") != NULL);
  /* Invalid UTF-8. */
  CHECK_RESULT(vas_digest_algorithm_from_name("\xff\xfe", &alg), VAS_RESULT_INVALID_INPUT);
}

static void test_hasher(void) {
  vas_hasher *h = NULL;
  CHECK_RESULT(vas_hasher_new(VAS_DIGEST_ALGORITHM_SHA256, &h), VAS_RESULT_OK);
  CHECK(h != NULL);
  CHECK_RESULT(vas_hasher_update(h, (const uint8_t *)"a", 1), VAS_RESULT_OK);
  CHECK_RESULT(vas_hasher_update(h, NULL, 0), VAS_RESULT_OK);
  CHECK_RESULT(vas_hasher_update(h, (const uint8_t *)"bc", 2), VAS_RESULT_OK);
  uint64_t size = 0;
  CHECK_RESULT(vas_hasher_size(h, &size), VAS_RESULT_OK);
  CHECK(size == 3);
  char hex[65];
  size_t n = 0;
  CHECK_RESULT(vas_hasher_finish(h, hex, sizeof hex, &n), VAS_RESULT_OK);
  CHECK(strcmp(hex, ABC[VAS_DIGEST_ALGORITHM_SHA256]) == 0);
  CHECK(n == 64);
  /* finish does not consume: the same answer twice. */
  CHECK_RESULT(vas_hasher_finish(h, hex, sizeof hex, &n), VAS_RESULT_OK);
  CHECK(strcmp(hex, ABC[VAS_DIGEST_ALGORITHM_SHA256]) == 0);
  uint8_t raw[64];
  CHECK_RESULT(vas_hasher_digest(h, raw, sizeof raw, &n), VAS_RESULT_OK);
  CHECK(n == 32 && raw[0] == 0xba && raw[31] == 0xad);
  CHECK_RESULT(vas_hasher_digest(h, raw, 31, &n), VAS_RESULT_BUFFER_TOO_SMALL);
  CHECK_RESULT(vas_hasher_digest(h, NULL, 0, &n), VAS_RESULT_OK);
  CHECK(n == 32);
  CHECK_RESULT(vas_hasher_finish(h, hex, 64, &n), VAS_RESULT_BUFFER_TOO_SMALL);
  CHECK_RESULT(vas_hasher_update(NULL, (const uint8_t *)"a", 1), VAS_RESULT_NULL_PARAMETER);
  CHECK_RESULT(vas_hasher_finish(NULL, hex, sizeof hex, &n), VAS_RESULT_NULL_PARAMETER);
  CHECK_RESULT(vas_hasher_size(h, NULL), VAS_RESULT_NULL_PARAMETER);
  vas_hasher_free(h);
  vas_hasher_free(NULL);

  vas_hasher *bad = (vas_hasher *)0x1;
  CHECK_RESULT(vas_hasher_new(42, &bad), VAS_RESULT_INVALID_INPUT);
  CHECK(bad == (vas_hasher *)0x1); /* untouched on failure */
  CHECK_RESULT(vas_hasher_new(VAS_DIGEST_ALGORITHM_MD5, NULL), VAS_RESULT_NULL_PARAMETER);

  /* Streaming a large input in pieces equals the one-shot digest. */
  size_t big = 1 << 16;
  uint8_t *data = malloc(big);
  for (size_t i = 0; i < big; i++) data[i] = (uint8_t)(i * 31 + 7);
  for (int alg = VAS_DIGEST_ALGORITHM_MD5; alg <= VAS_DIGEST_ALGORITHM_SHA512; alg++) {
    char one[129], streamed[129];
    CHECK_RESULT(vas_digest_bytes(alg, data, big, one, sizeof one, &n), VAS_RESULT_OK);
    CHECK_RESULT(vas_hasher_new(alg, &h), VAS_RESULT_OK);
    for (size_t off = 0; off < big; off += 4093) {
      size_t len = big - off < 4093 ? big - off : 4093;
      CHECK_RESULT(vas_hasher_update(h, data + off, len), VAS_RESULT_OK);
    }
    CHECK_RESULT(vas_hasher_finish(h, streamed, sizeof streamed, &n), VAS_RESULT_OK);
    CHECK(strcmp(one, streamed) == 0);
    vas_hasher_free(h);
  }
  free(data);
}

static void test_digest_file(void) {
  char path[] = "/tmp/vas-c-test-XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  CHECK(write(fd, "abc", 3) == 3);
  close(fd);
  char hex[129];
  size_t n = 0;
  uint64_t size = 0;
  CHECK_RESULT(vas_digest_file(VAS_DIGEST_ALGORITHM_SHA512, path, hex, sizeof hex, &n, &size),
               VAS_RESULT_OK);
  CHECK(strcmp(hex, ABC[VAS_DIGEST_ALGORITHM_SHA512]) == 0);
  CHECK(size == 3 && n == 128);
  /* size is optional */
  CHECK_RESULT(vas_digest_file(VAS_DIGEST_ALGORITHM_MD5, path, hex, sizeof hex, &n, NULL),
               VAS_RESULT_OK);
  CHECK(strcmp(hex, ABC[VAS_DIGEST_ALGORITHM_MD5]) == 0);
  unlink(path);

  /* Missing file: NOT_FOUND, the path in the message and in the JSON detail. */
  size = 99;
  CHECK_RESULT(vas_digest_file(VAS_DIGEST_ALGORITHM_SHA512, path, hex, sizeof hex, &n, &size),
               VAS_RESULT_NOT_FOUND);
  CHECK(size == 99);
  CHECK(vas_last_error_result() == VAS_RESULT_NOT_FOUND);
  size_t need = 0;
  CHECK_RESULT(vas_last_error_message(NULL, 0, &need), VAS_RESULT_OK);
  char *msg = malloc(need);
  CHECK_RESULT(vas_last_error_message(msg, need, &n), VAS_RESULT_OK);
  CHECK(n + 1 == need);
  CHECK(strstr(msg, path) != NULL);
  /* The OS error's text appears once (not once more as the cause). */
  {
    const char *first = strstr(msg, "No such file");
    CHECK(first != NULL && strstr(first + 1, "No such file") == NULL);
  }
  /* A too-small buffer fails without replacing the last error. */
  CHECK_RESULT(vas_last_error_message(msg, 2, &n), VAS_RESULT_BUFFER_TOO_SMALL);
  CHECK(vas_last_error_result() == VAS_RESULT_NOT_FOUND);
  free(msg);
  char detail[1024];
  CHECK_RESULT(vas_last_error_detail(detail, sizeof detail, &n), VAS_RESULT_OK);
  CHECK(strstr(detail, "\"kind\":\"NotFound\"") != NULL);
  CHECK(strstr(detail, "\"path\":\"/tmp/vas-c-test-") != NULL);
  CHECK(strstr(detail, "\"errno\":2") != NULL);
  CHECK_RESULT(vas_digest_file(VAS_DIGEST_ALGORITHM_SHA512, NULL, hex, sizeof hex, &n, &size),
               VAS_RESULT_NULL_PARAMETER);
  /* A directory is not a file. */
  CHECK(vas_digest_file(VAS_DIGEST_ALGORITHM_SHA512, "/tmp", hex, sizeof hex, &n, &size) != VAS_RESULT_OK);
}

static void *other_thread(void *arg) {
  (void)arg;
  /* The last error is per thread: this fresh thread has none. */
  int ok = vas_last_error_result() == VAS_RESULT_OK;
  vas_digest_algorithm alg;
  ok = ok && vas_digest_algorithm_from_name("nope", &alg) == VAS_RESULT_INVALID_INPUT;
  ok = ok && vas_last_error_result() == VAS_RESULT_INVALID_INPUT;
  return ok ? (void *)1 : NULL;
}

static void test_threads(void) {
  vas_digest_algorithm alg;
  CHECK_RESULT(vas_digest_algorithm_from_name(NULL, &alg), VAS_RESULT_NULL_PARAMETER);
  pthread_t t;
  void *ret = NULL;
  CHECK(pthread_create(&t, NULL, other_thread, NULL) == 0);
  CHECK(pthread_join(t, &ret) == 0);
  CHECK(ret == (void *)1);
  CHECK(vas_last_error_result() == VAS_RESULT_NULL_PARAMETER);
}

static void test_panic_boundary(void) {
#ifdef VAS_TEST_PANIC
  CHECK_RESULT(vas_test_panic(), VAS_RESULT_PANIC);
  char msg[256];
  size_t n;
  CHECK_RESULT(vas_last_error_message(msg, sizeof msg, &n), VAS_RESULT_OK);
  CHECK(strstr(msg, "deliberate panic") != NULL);
  /* The library still works after a caught panic. */
  char hex[33];
  CHECK_RESULT(vas_digest_bytes(VAS_DIGEST_ALGORITHM_MD5, (const uint8_t *)"abc", 3, hex, sizeof hex, &n),
               VAS_RESULT_OK);
#else
  fprintf(stderr, "note: built without VAS_TEST_PANIC, panic boundary not tested\n");
#endif
}


#define SAMPLES "tests/fixtures/seda/samples/"
#define PROFIL "tests/fixtures/profiles/vitam-checkProfil/"

static void test_validate_manifest(void) {
  vas_validation *v = NULL;
  /* xmllint: PASS. */
  CHECK_RESULT(vas_validate_manifest_file(SAMPLES "f22-agent-2.3.xml", NULL, NULL, &v), VAS_RESULT_OK);
  CHECK(vas_validation_valid(v));
  CHECK(vas_validation_finding_count(v) == 0);
  char json[65536];
  size_t n = 0;
  CHECK_RESULT(vas_validation_json(v, json, sizeof json, &n), VAS_RESULT_OK);
  CHECK(strstr(json, "\"valid\":true") != NULL && strstr(json, "\"seda_version\":\"2.3\"") != NULL);
  vas_validation_free(v);

  /* xmllint: FAIL. */
  v = NULL;
  CHECK_RESULT(vas_validate_manifest_file(SAMPLES "f21-signature-2.3.xml", "strict", NULL, &v), VAS_RESULT_OK);
  CHECK(!vas_validation_valid(v));
  CHECK(vas_validation_finding_count(v) >= 1);
  uint64_t line = 0, col = 0;
  CHECK_RESULT(vas_validation_finding_position(v, 0, &line, &col), VAS_RESULT_OK);
  CHECK(line > 0 && col > 0);
  char text[4096];
  CHECK_RESULT(vas_validation_finding_text(v, 0, VAS_FINDING_FIELD_KIND, text, sizeof text, &n), VAS_RESULT_OK);
  CHECK(strcmp(text, "schema") == 0);
  CHECK_RESULT(vas_validation_finding_text(v, 0, VAS_FINDING_FIELD_PATH, text, sizeof text, &n), VAS_RESULT_OK);
  CHECK(strncmp(text, "/ArchiveTransfer", 16) == 0);
  /* Size query, then too small, then an index out of range. */
  CHECK_RESULT(vas_validation_finding_text(v, 0, VAS_FINDING_FIELD_MESSAGE, NULL, 0, &n), VAS_RESULT_OK);
  CHECK(n > 1);
  CHECK_RESULT(vas_validation_finding_text(v, 0, VAS_FINDING_FIELD_MESSAGE, text, 1, &n), VAS_RESULT_BUFFER_TOO_SMALL);
  size_t count = vas_validation_finding_count(v);
  CHECK_RESULT(vas_validation_finding_position(v, count, &line, &col), VAS_RESULT_INVALID_INPUT);
  CHECK_RESULT(vas_validation_finding_text(v, 0, 7, text, sizeof text, &n), VAS_RESULT_INVALID_INPUT);
  vas_validation_free(v);

  /* Malformed XML in memory: a verdict, not an error. */
  v = NULL;
  const char *bad = "<ArchiveTransfer xmlns=\"fr:gouv:culture:archivesdefrance:seda:v2.2\"><Date>";
  CHECK_RESULT(vas_validate_manifest_bytes((const uint8_t *)bad, strlen(bad), NULL, NULL, &v), VAS_RESULT_OK);
  CHECK(!vas_validation_valid(v));
  CHECK(vas_validation_finding_count(v) >= 1);
  CHECK_RESULT(vas_validation_finding_text(v, 0, VAS_FINDING_FIELD_KIND, text, sizeof text, &n), VAS_RESULT_OK);
  CHECK(strcmp(text, "xml") == 0);
  vas_validation_free(v);

  /* A RelaxNG profile (Vitam's checkProfil test). */
  v = NULL;
  CHECK_RESULT(vas_validate_manifest_file(PROFIL "manifest_ok.xml", "vitam", PROFIL "Profil20.rng", &v), VAS_RESULT_OK);
  CHECK(vas_validation_valid(v));
  vas_validation_free(v);
  v = NULL;
  CHECK_RESULT(vas_validate_manifest_file(PROFIL "manifest_ko.xml", "vitam", PROFIL "Profil20.rng", &v), VAS_RESULT_OK);
  CHECK(!vas_validation_valid(v));
  vas_validation_free(v);

  /* Errors: missing file, bad mode, NULLs; no output is written on failure. */
  v = NULL;
  CHECK_RESULT(vas_validate_manifest_file("no/such/manifest.xml", NULL, NULL, &v), VAS_RESULT_NOT_FOUND);
  CHECK(v == NULL);
  CHECK_RESULT(vas_validate_manifest_file(SAMPLES "f22-agent-2.3.xml", "lax", NULL, &v), VAS_RESULT_INVALID_INPUT);
  CHECK(v == NULL);
  CHECK_RESULT(vas_validate_manifest_file(SAMPLES "f22-agent-2.3.xml", NULL, NULL, NULL), VAS_RESULT_NULL_PARAMETER);
  CHECK_RESULT(vas_validate_manifest_file(NULL, NULL, NULL, &v), VAS_RESULT_NULL_PARAMETER);
  CHECK(!vas_validation_valid(NULL));
  CHECK(vas_validation_finding_count(NULL) == 0);
  vas_validation_free(NULL);
}

static void test_manifest_stats_and_rewrite(void) {
  char json[4096];
  size_t n = 0;
  CHECK_RESULT(vas_manifest_stats_json(SAMPLES "f22-agent-2.3.xml", json, sizeof json, &n), VAS_RESULT_OK);
  CHECK(strstr(json, "\"version\":\"2.3\"") != NULL);
  CHECK(strstr(json, "\"units\":") != NULL && strstr(json, "\"max_depth\":") != NULL);
  CHECK_RESULT(vas_manifest_stats_json("no/such/manifest.xml", json, sizeof json, &n), VAS_RESULT_NOT_FOUND);
  /* Not SEDA (a RelaxNG schema): Unsupported. */
  CHECK_RESULT(vas_manifest_stats_json(PROFIL "Profil20.rng", json, sizeof json, &n), VAS_RESULT_UNSUPPORTED);
  /* Malformed XML: Xml. */
  char tmp[] = "/tmp/vas-test-XXXXXX";
  int fd = mkstemp(tmp);
  CHECK(fd >= 0);
  if (fd >= 0) {
    const char *bad = "<ArchiveTransfer xmlns=\"fr:gouv:culture:archivesdefrance:seda:v2.2\"><Date>";
    CHECK(write(fd, bad, strlen(bad)) == (ssize_t)strlen(bad));
    close(fd);
    CHECK_RESULT(vas_manifest_stats_json(tmp, json, sizeof json, &n), VAS_RESULT_XML);
    unlink(tmp);
  }

  /* Round trip: size query, write, and the result is still valid and says 2.2 when asked. */
  size_t need = 0;
  CHECK_RESULT(vas_manifest_rewrite(SAMPLES "f22-agent-2.3.xml", NULL, NULL, 0, &need), VAS_RESULT_OK);
  CHECK(need > 100);
  uint8_t *out = malloc(need);
  CHECK_RESULT(vas_manifest_rewrite(SAMPLES "f22-agent-2.3.xml", NULL, out, need, &n), VAS_RESULT_OK);
  CHECK(n == need);
  vas_validation *v = NULL;
  CHECK_RESULT(vas_validate_manifest_bytes(out, n, NULL, NULL, &v), VAS_RESULT_OK);
  CHECK(vas_validation_valid(v));
  vas_validation_free(v);
  free(out);
  CHECK_RESULT(vas_manifest_rewrite(SAMPLES "f22-agent-2.3.xml", "9.9", NULL, 0, &need), VAS_RESULT_UNSUPPORTED);
}

static void test_identify(void) {
  char json[4096];
  size_t n = 0;
  CHECK_RESULT(vas_identify_file_json("examples/demo/Marché 2024-017 - Rénovation de la mairie/Pièces administratives/plan-facade.png",
                                      json, sizeof json, &n),
               VAS_RESULT_OK);
  CHECK(strstr(json, "\"puid\":\"fmt/11\"") != NULL || strstr(json, "\"puid\":\"fmt/12\"") != NULL ||
        strstr(json, "\"puid\":\"fmt/13\"") != NULL);
  CHECK(strstr(json, "image/png") != NULL);
  static const uint8_t pdf[] = "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n";
  CHECK_RESULT(vas_identify_bytes_json(pdf, sizeof pdf - 1, "a.pdf", json, sizeof json, &n), VAS_RESULT_OK);
  CHECK(strstr(json, "\"puid\":\"fmt/18\"") != NULL);
  CHECK_RESULT(vas_identify_bytes_json(NULL, 0, NULL, json, sizeof json, &n), VAS_RESULT_OK);
  CHECK(strstr(json, "\"puid\":\"UNKNOWN\"") != NULL);
  CHECK_RESULT(vas_identify_file_json("no/such/file.pdf", json, sizeof json, &n), VAS_RESULT_NOT_FOUND);
}

int main(void) {
  test_version_and_names();
  test_digest_bytes();
  test_algorithm_names();
  test_hasher();
  test_digest_file();
  test_threads();
  test_validate_manifest();
  test_manifest_stats_and_rewrite();
  test_identify();
  test_panic_boundary();
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
