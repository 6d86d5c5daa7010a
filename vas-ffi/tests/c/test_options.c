/* C tests of the versioned option structs (struct_size: current, older and unknown
 * layouts, the _init functions and macros) and of progress callbacks with cancellation
 * (SIP build to a file and to memory, ingest dry run). Run from the repository root by
 * scripts/test.d/bindings.sh, under valgrind. Oracles: the bytes of the same deterministic
 * build made with the current layout, the sizes of the objects on disk, the file system
 * (no file left behind), and the last error's detail. */
#define _POSIX_C_SOURCE 200809L
#include "vas.h"
#include "check.h"
#include "json.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PV "tests/interop/content/proces-verbal.txt"
#define PDF "tests/interop/content/annexe.pdf"
#define BIG_SIZE (700u * 1024u + 17u) /* several 256 KiB read chunks in a dry run */

static uint8_t *big;

/* A builder with three objects: a file, a PDF and BIG_SIZE bytes in memory. */
static vas_sip_builder *builder(void) {
  vas_sip_builder *b = NULL;
  CHECK_OK(vas_sip_builder_new("2.3", &b));
  CHECK_OK(vas_sip_builder_set_archival_agency(b, "AG-ARCHIVES"));
  CHECK_OK(vas_sip_builder_set_transferring_agency(b, "SRV-MARCHES"));
  CHECK_OK(vas_sip_builder_set_originating_agency(b, "SRV-MARCHES"));
  CHECK_OK(vas_sip_builder_set_submission_agency(b, "SRV-MARCHES"));
  CHECK_OK(vas_sip_builder_set_archival_agreement(b, "IC-DEMO"));
  CHECK_OK(vas_sip_builder_set_message_identifier(b, "C-OPTIONS"));
  CHECK_OK(vas_sip_builder_set_date(b, "2026-01-02T03:04:05"));
  size_t u = 0, v = 0, w = 0;
  CHECK_OK(vas_sip_builder_add_unit(b, 0, "Dossier", &u));
  CHECK_OK(vas_sip_builder_add_unit(b, u, "PV", &v));
  CHECK_OK(vas_sip_builder_add_unit(b, u, "Annexe", &w));
  vas_object_options o = VAS_OBJECT_OPTIONS_INIT;
  o.no_last_modified = true; /* deterministic bytes whatever the files' mtimes */
  CHECK_OK(vas_sip_builder_add_object_path(b, v, PV, &o));
  CHECK_OK(vas_sip_builder_add_object_path(b, w, PDF, &o));
  o.usage = "Dissemination_1";
  CHECK_OK(vas_sip_builder_add_object_bytes(b, w, "big.bin", big, BIG_SIZE, &o));
  return b;
}

static uint8_t *package(vas_sip_builder *b, const vas_build_options *o, size_t *len) {
  vas_bytes *pkg = NULL;
  CHECK_OK(vas_sip_builder_write_to_bytes(b, o, &pkg, NULL));
  vas_sip_builder_free(b);
  if (!pkg) return NULL;
  *len = vas_bytes_len(pkg);
  uint8_t *copy = malloc(*len);
  memcpy(copy, vas_bytes_data(pkg), *len);
  vas_bytes_free(pkg);
  return copy;
}

/* The first published layout of vas_build_options, as a program compiled against that
 * header declares it, followed by bytes that libvas must not read. */
typedef struct {
  size_t struct_size;
  const char *format;
  int32_t digest_algorithm;
  int32_t compression_level;
  bool deterministic;
  bool manifest_last;
  bool identify_formats;
  const char *manifest_name;
} build_options_v1;

static void test_versioning(void) {
  /* The current layout, initialised by the macro, by the function, or NULL. */
  vas_build_options cur = VAS_BUILD_OPTIONS_INIT;
  CHECK(cur.struct_size == sizeof(vas_build_options) && cur.progress == NULL && !cur.deterministic);
  vas_build_options f;
  memset(&f, 0xA5, sizeof f);
  CHECK_OK(vas_build_options_init(&f, sizeof f));
  CHECK(f.struct_size == sizeof f && f.format == NULL && f.digest_algorithm == 0 && !f.manifest_last &&
        f.progress == NULL && f.progress_userdata == NULL);
  cur.deterministic = true;
  size_t want_len = 0, len = 0;
  uint8_t *want = package(builder(), &cur, &want_len);
  CHECK(want && want_len > BIG_SIZE / 2);

  /* An older program: the v1 layout (no progress fields), then garbage where a newer
   * layout would have them. Same bytes as the current layout. */
  union {
    build_options_v1 v1;
    unsigned char raw[sizeof(vas_build_options) + 64];
  } old;
  memset(&old, 0xA5, sizeof old);
  CHECK_OK(vas_build_options_init((vas_build_options *)&old.v1, sizeof old.v1));
  CHECK(old.v1.struct_size == sizeof old.v1 && old.raw[sizeof old.v1] == 0xA5); /* nothing beyond */
  old.v1.deterministic = true;
  uint8_t *got = package(builder(), (const vas_build_options *)&old.v1, &len);
  CHECK(got && len == want_len && !memcmp(got, want, len));
  free(got);
  free(want);

  /* Unknown sizes: 0 (a `{0}` struct of before), one byte off, a newer header's. */
  vas_sip_builder *b = builder();
  vas_build_options bad = VAS_BUILD_OPTIONS_INIT;
  bad.struct_size = 0;
  vas_bytes *pkg = (vas_bytes *)0x1;
  CHECK_RESULT(vas_sip_builder_write_to_bytes(b, &bad, &pkg, NULL), VAS_RESULT_INVALID_INPUT);
  CHECK(pkg == (vas_bytes *)0x1);
  CHECK(last_message_has("vas_build_options.struct_size is 0") && last_message_has("VAS_BUILD_OPTIONS_INIT"));
  jval *d = last_detail();
  CHECK(d && json_str(json_get(d, "id")) && !strcmp(json_str(json_get(d, "id")), "vas_build_options"));
  json_free(d);
  bad.struct_size = sizeof bad - 1;
  CHECK_RESULT(vas_sip_builder_write_to_bytes(b, &bad, &pkg, NULL), VAS_RESULT_INVALID_INPUT);
  CHECK(last_message_has("not the size of any published layout"));
  struct {
    vas_build_options cur;
    uint64_t added_later;
  } newer;
  memset(&newer, 0, sizeof newer);
  newer.cur.struct_size = sizeof newer;
  CHECK_RESULT(vas_sip_builder_write_to_bytes(b, &newer.cur, &pkg, NULL), VAS_RESULT_INVALID_INPUT);
  CHECK(last_message_has("newer vas.h"));
  /* A refused option struct leaves the builder usable, and writes no file. */
  char out[256];
  path_in_tmp(out, sizeof out, "refused.zip");
  CHECK_RESULT(vas_sip_builder_write_to_file(b, out, &bad, NULL), VAS_RESULT_INVALID_INPUT);
  CHECK(access(out, F_OK) != 0);
  CHECK(vas_sip_builder_unit_count(b) == 3);
  /* The init function refuses what the library would refuse. */
  CHECK_RESULT(vas_build_options_init(&f, 0), VAS_RESULT_INVALID_INPUT);
  CHECK_RESULT(vas_build_options_init(&f, sizeof f + 8), VAS_RESULT_INVALID_INPUT);
  CHECK_RESULT(vas_build_options_init(NULL, sizeof f), VAS_RESULT_NULL_PARAMETER);
  CHECK(f.struct_size == sizeof f); /* untouched by the refusals */

  /* Every other option struct: the same rule. */
  vas_object_options o = VAS_OBJECT_OPTIONS_INIT;
  CHECK(o.struct_size == sizeof o);
  o.struct_size = 0;
  CHECK_RESULT(vas_sip_builder_add_object_path(b, 1, PV, &o), VAS_RESULT_INVALID_INPUT);
  CHECK(last_message_has("vas_object_options.struct_size is 0"));
  CHECK_OK(vas_object_options_init(&o, sizeof o));
  o.usage = "Dissemination_1";
  CHECK_OK(vas_sip_builder_add_object_path(b, 1, PV, &o));
  vas_sip_builder_free(b);

  vas_inspect_options io;
  CHECK_OK(vas_inspect_options_init(&io, sizeof io));
  io.struct_size = sizeof io + 8;
  vas_bytes *json = (vas_bytes *)0x1;
  CHECK_RESULT(vas_sip_inspect_json("tests/interop/ko/SIP_INCORRECT_ALGORITHM.zip", &io, &json),
               VAS_RESULT_INVALID_INPUT);
  CHECK(json == (vas_bytes *)0x1 && last_message_has("vas_inspect_options.struct_size is"));

  vas_archive_init_options ao = VAS_ARCHIVE_INIT_OPTIONS_INIT;
  CHECK(ao.struct_size == sizeof ao && ao.tenant == 0);
  ao.struct_size = 1;
  char dir[256];
  path_in_tmp(dir, sizeof dir, "archive");
  vas_archive *a = NULL;
  CHECK_RESULT(vas_archive_create(dir, &ao, &a), VAS_RESULT_INVALID_INPUT);
  CHECK(a == NULL && access(dir, F_OK) != 0 && last_message_has("vas_archive_init_options.struct_size is 1"));
  CHECK_RESULT(vas_archive_init_options_init(&ao, 3), VAS_RESULT_INVALID_INPUT);

  vas_dry_run_options dro = VAS_DRY_RUN_OPTIONS_INIT;
  CHECK(dro.struct_size == sizeof dro && dro.referentials == NULL && dro.progress == NULL);
  dro.struct_size = 0;
  bool accepted = true;
  CHECK_RESULT(vas_dry_run_ingest_with_options("tests/interop/ko/SIP_INCORRECT_ALGORITHM.zip", &dro, &accepted,
                                               NULL, NULL),
               VAS_RESULT_INVALID_INPUT);
  CHECK(accepted && last_message_has("vas_dry_run_options.struct_size is 0"));
}

/* Progress: records what the callback saw; cancels at call `cancel_at` (1-based, 0 never). */
typedef struct {
  int calls, calls_after_cancel, cancel_at, cancelled;
  int phases[3];
  uint64_t last_done[3], last_total[3];
  int bad; /* done > total, or an unknown phase */
} seen;

static int32_t on_progress(void *userdata, int32_t phase, uint64_t done, uint64_t total) {
  seen *s = userdata;
  if (s->cancelled) s->calls_after_cancel++;
  s->calls++;
  if (phase < 0 || phase > 2 || done > total) {
    s->bad++;
    return 0;
  }
  s->phases[phase]++;
  s->last_done[phase] = done;
  s->last_total[phase] = total;
  if (s->cancel_at && s->calls == s->cancel_at) {
    s->cancelled = 1;
    return 42;
  }
  return 0;
}

static void test_build_progress(void) {
  uint64_t objects = (uint64_t)file_size(PV) + (uint64_t)file_size(PDF) + BIG_SIZE;
  /* Without cancelling: both passes reported, to the objects' total size. */
  for (int manifest_last = 0; manifest_last < 2; manifest_last++) {
    seen s = {0};
    vas_build_options o = VAS_BUILD_OPTIONS_INIT;
    o.manifest_last = manifest_last;
    o.progress = on_progress;
    o.progress_userdata = &s;
    char out[256];
    path_in_tmp(out, sizeof out, manifest_last ? "last.zip" : "first.zip");
    vas_bytes *report = NULL;
    vas_sip_builder *b = builder();
    CHECK_OK(vas_sip_builder_write_to_file(b, out, &o, &report));
    vas_sip_builder_free(b);
    CHECK(s.bad == 0 && s.calls >= 3);
    CHECK(manifest_last ? s.phases[VAS_PROGRESS_PHASE_HASHING] == 0 : s.phases[VAS_PROGRESS_PHASE_HASHING] == 3);
    CHECK(s.phases[VAS_PROGRESS_PHASE_WRITING] == 3);
    if (!manifest_last) CHECK(s.last_total[VAS_PROGRESS_PHASE_HASHING] == objects);
    CHECK(s.last_done[VAS_PROGRESS_PHASE_WRITING] == objects && s.last_total[VAS_PROGRESS_PHASE_WRITING] == objects);
    CHECK(report && strstr(vas_bytes_str(report), "\"total_size\":") != NULL);
    vas_bytes_free(report);
    CHECK(file_size(out) > (off_t)BIG_SIZE / 2);
    unlink(out);
  }
  /* Cancelling at each call of the first pass and of the second, to a file: CANCELLED,
   * no file, the callback never called again, the builder spent. */
  /* (manifest first: calls 1-3 hash, 4-6 write; manifest last: calls 1-3 write) */
  static const int ats[2][4] = {{1, 3, 4, 6}, {1, 3, 0, 0}};
  for (int manifest_last = 0; manifest_last < 2; manifest_last++) {
    for (int i = 0; i < 4 && ats[manifest_last][i]; i++) {
      int at = ats[manifest_last][i];
      seen s = {0};
      s.cancel_at = at;
      vas_build_options o = VAS_BUILD_OPTIONS_INIT;
      o.manifest_last = manifest_last;
      o.progress = on_progress;
      o.progress_userdata = &s;
      char out[256];
      path_in_tmp(out, sizeof out, "cancelled.zip");
      vas_bytes *report = (vas_bytes *)0x1;
      vas_sip_builder *b = builder();
      CHECK_RESULT(vas_sip_builder_write_to_file(b, out, &o, &report), VAS_RESULT_CANCELLED);
      CHECK(report == (vas_bytes *)0x1);
      CHECK(access(out, F_OK) != 0);
      CHECK(s.cancelled && s.calls == at && s.calls_after_cancel == 0);
      CHECK(last_message_has("cancelled") && last_message_has("returned 42"));
      jval *d = last_detail();
      CHECK(d && json_num(json_get(d, "callback_result"), 0) == 42 &&
            !strcmp(json_str(json_get(d, "result")), "Cancelled"));
      json_free(d);
      size_t u = 0;
      CHECK_RESULT(vas_sip_builder_add_unit(b, 0, "again", &u), VAS_RESULT_INVALID_INPUT);
      vas_sip_builder_free(b);
    }
  }
  /* To memory: the package output is untouched. */
  seen s = {0};
  s.cancel_at = 4;
  vas_build_options o = VAS_BUILD_OPTIONS_INIT;
  o.progress = on_progress;
  o.progress_userdata = &s;
  vas_bytes *pkg = (vas_bytes *)0x1;
  vas_sip_builder *b = builder();
  CHECK_RESULT(vas_sip_builder_write_to_bytes(b, &o, &pkg, NULL), VAS_RESULT_CANCELLED);
  CHECK(pkg == (vas_bytes *)0x1 && s.calls == 4 && s.phases[VAS_PROGRESS_PHASE_WRITING] == 1);
  vas_sip_builder_free(b);
}

static void test_dry_run_progress(void) {
  char sip[256];
  path_in_tmp(sip, sizeof sip, "sip.zip");
  vas_build_options bo = VAS_BUILD_OPTIONS_INIT;
  bo.compression_level = -1; /* stored: the dry run reads BIG_SIZE bytes in chunks */
  vas_sip_builder *b = builder();
  CHECK_OK(vas_sip_builder_write_to_file(b, sip, &bo, NULL));
  vas_sip_builder_free(b);
  uint64_t objects = (uint64_t)file_size(PV) + (uint64_t)file_size(PDF) + BIG_SIZE;

  /* The same verdict and report as vas_dry_run_ingest, with progress to the end. */
  bool want_ok = false, got_ok = false;
  vas_bytes *want = NULL, *got = NULL;
  CHECK_OK(vas_dry_run_ingest(sip, "examples/referentials", NULL, &want_ok, &want, NULL));
  seen s = {0};
  vas_dry_run_options o = VAS_DRY_RUN_OPTIONS_INIT;
  o.referentials = "examples/referentials";
  o.progress = on_progress;
  o.progress_userdata = &s;
  CHECK_OK(vas_dry_run_ingest_with_options(sip, &o, &got_ok, &got, NULL));
  CHECK(want_ok == got_ok);
  jval *w = want ? json_parse(vas_bytes_str(want), vas_bytes_len(want)) : NULL;
  jval *g = got ? json_parse(vas_bytes_str(got), vas_bytes_len(got)) : NULL;
  CHECK(w && g && !strcmp(json_str(json_get(w, "outcome")), json_str(json_get(g, "outcome"))));
  CHECK(w && g && json_get(w, "events")->count == json_get(g, "events")->count);
  json_free(w);
  json_free(g);
  vas_bytes_free(want);
  vas_bytes_free(got);
  CHECK(s.bad == 0 && s.phases[VAS_PROGRESS_PHASE_READING] > (int)(BIG_SIZE / (256 * 1024)));
  /* Every object byte read, and the total is exactly the objects' bytes. */
  CHECK(s.last_done[VAS_PROGRESS_PHASE_READING] == objects && s.last_total[VAS_PROGRESS_PHASE_READING] == objects);
  /* NULL options: the defaults (no referentials). */
  CHECK_OK(vas_dry_run_ingest_with_options(sip, NULL, &got_ok, NULL, NULL));

  /* Cancelled at the third chunk: CANCELLED, outputs untouched, no more calls. */
  seen c = {0};
  c.cancel_at = 3;
  o.progress_userdata = &c;
  bool acc = false;
  vas_bytes *rep = (vas_bytes *)0x1, *atr = (vas_bytes *)0x1;
  CHECK_RESULT(vas_dry_run_ingest_with_options(sip, &o, &acc, &rep, &atr), VAS_RESULT_CANCELLED);
  CHECK(!acc && rep == (vas_bytes *)0x1 && atr == (vas_bytes *)0x1);
  CHECK(c.calls == 3 && c.calls_after_cancel == 0);
  unlink(sip);
}

int main(void) {
  snprintf(tmp, sizeof tmp, "/tmp/vas-c-options-XXXXXX");
  if (!mkdtemp(tmp)) return 2;
  big = malloc(BIG_SIZE);
  uint64_t x = 88172645463325252u; /* xorshift64: incompressible bytes */
  for (size_t i = 0; i < BIG_SIZE; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    big[i] = (uint8_t)(x >> 24);
  }
  test_versioning();
  test_build_progress();
  test_dry_run_progress();
  free(big);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp);
  printf("options: %d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
