/* The cross-language interop fixture (tests/interop/), C side: builds the SIP described by
 * spec.json with the C builder API, deterministic, and checks that its SHA-256 and size are
 * those expected.json records (the bytes Rust, Python and Node produce), that its dry run
 * and the dry runs of tests/interop/ko/ (the projection: outcome, outDetail, events as
 * [evType, outcome, outDetail, outMessg]) equal expected.json. Run from the repository root;
 * spec.json is read with the test's own JSON reader (json.h), never through Rust. */
#define _POSIX_C_SOURCE 200809L
#include "vas.h"
#include "json.h"
#include "check.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DIR_ "tests/interop/"

static const char *S(const jval *v, const char *key) { return json_str(json_get(v, key)); }

/* Builds the spec's SIP through the builder API; returns the package (or NULL). */
static vas_bytes *build_from_spec(const jval *spec) {
  vas_sip_builder *b = NULL;
  CHECK_OK(vas_sip_builder_new(S(spec, "seda_version"), &b));
  if (!b) return NULL;
  const jval *h = json_get(spec, "header");
  CHECK_OK(vas_sip_builder_set_message_identifier(b, S(h, "message_identifier")));
  CHECK_OK(vas_sip_builder_set_date(b, S(h, "date")));
  CHECK_OK(vas_sip_builder_set_comment(b, S(h, "comment")));
  CHECK_OK(vas_sip_builder_set_archival_agreement(b, S(h, "archival_agreement")));
  CHECK_OK(vas_sip_builder_set_archival_agency(b, S(h, "archival_agency")));
  CHECK_OK(vas_sip_builder_set_transferring_agency(b, S(h, "transferring_agency")));
  CHECK_OK(vas_sip_builder_set_originating_agency(b, S(h, "originating_agency")));
  CHECK_OK(vas_sip_builder_set_submission_agency(b, S(h, "submission_agency")));

  const jval *units = json_get(spec, "units");
  CHECK(units && units->t == J_ARR && units->count <= 64);
  const char *keys[64];
  size_t handles[64], nkeys = 0;
  for (size_t i = 0; units && i < units->count; i++) {
    const jval *u = json_at(units, i);
    size_t parent = 0;
    const char *pkey = S(u, "parent");
    for (size_t k = 0; pkey && k < nkeys; k++)
      if (!strcmp(keys[k], pkey)) parent = handles[k];
    CHECK(!pkey || parent != 0);
    size_t unit = 0;
    CHECK_OK(vas_sip_builder_add_unit(b, parent, S(u, "title"), &unit));
    if (nkeys < 64) {
      keys[nkeys] = S(u, "key");
      handles[nkeys++] = unit;
    }
    const char *fields[] = {"description_level", "description", "start_date", "end_date"};
    const vas_unit_field which[] = {VAS_UNIT_FIELD_DESCRIPTION_LEVEL, VAS_UNIT_FIELD_DESCRIPTION,
                                    VAS_UNIT_FIELD_START_DATE, VAS_UNIT_FIELD_END_DATE};
    for (int f = 0; f < 4; f++)
      if (S(u, fields[f])) CHECK_OK(vas_sip_builder_set_unit_text(b, unit, which[f], S(u, fields[f])));
    const jval *rules = json_get(u, "rules");
    for (size_t r = 0; rules && r < rules->count; r++) {
      const jval *x = json_at(rules, r);
      CHECK_OK(vas_sip_builder_add_rule(b, unit, S(x, "category"), S(x, "rule"), S(x, "start_date")));
    }
    const jval *fa = json_get(u, "final_actions");
    for (size_t r = 0; fa && r < fa->count; r++) {
      const jval *x = json_at(fa, r);
      CHECK_OK(vas_sip_builder_set_final_action(b, unit, S(x, "category"), S(x, "action")));
    }
    const jval *fl = json_get(u, "fields");
    for (size_t r = 0; fl && r < fl->count; r++) {
      const jval *x = json_at(fl, r);
      CHECK_OK(vas_sip_builder_add_field(b, unit, S(x, "path"), S(x, "value")));
    }
    const jval *objs = json_get(u, "objects");
    for (size_t r = 0; objs && r < objs->count; r++) {
      const jval *o = json_at(objs, r);
      vas_object_options opts = VAS_OBJECT_OPTIONS_INIT;
      opts.usage = S(o, "usage");
      if (S(o, "path")) {
        char path[4096];
        snprintf(path, sizeof path, DIR_ "%s", S(o, "path"));
        CHECK_OK(vas_sip_builder_add_object_path(b, unit, path, &opts));
      } else {
        const char *text = S(o, "bytes_utf8");
        CHECK_OK(vas_sip_builder_add_object_bytes(b, unit, S(o, "filename"), (const uint8_t *)text,
                                                  strlen(text), &opts));
      }
    }
  }
  /* Handles name units in creation order; find_unit finds them by manifest id. */
  for (size_t i = 0; units && i < units->count; i++) {
    char id[32];
    size_t n;
    CHECK_OK(vas_sip_builder_unit_id(b, i + 1, id, sizeof id, &n));
    size_t h = 0;
    CHECK_OK(vas_sip_builder_find_unit(b, id, &h));
    CHECK(h == i + 1);
  }

  const jval *o = json_get(spec, "options");
  vas_build_options opts = VAS_BUILD_OPTIONS_INIT;
  opts.format = S(o, "format");
  vas_digest_algorithm alg = 0;
  CHECK_OK(vas_digest_algorithm_from_name(S(o, "digest_algorithm"), &alg));
  opts.digest_algorithm = alg;
  if (S(o, "compression") && !strcmp(S(o, "compression"), "stored"))
    opts.compression_level = -1;
  else
    opts.compression_level = (int32_t)json_num(json_get(o, "compression_level"), 0);
  opts.deterministic = json_get(o, "deterministic")->b;
  opts.manifest_last = json_get(o, "manifest_last")->b;
  opts.identify_formats = json_get(o, "identify_formats")->b;
  vas_bytes *pkg = NULL;
  CHECK_OK(vas_sip_builder_write_to_bytes(b, &opts, &pkg, NULL));
  vas_sip_builder_free(b);
  return pkg;
}

/* Whether a dry-run report matches the projection every language compares: outcome,
 * outDetail, and the events as [evType, outcome, outDetail, outMessg]. */
static bool str_eq(const char *a, const char *b) { return a && b && !strcmp(a, b); }

static bool matches_projection(const jval *report, const jval *want) {
  if (!report || !want) return false;
  if (!str_eq(S(report, "outcome"), S(want, "outcome"))) return false;
  if (!str_eq(S(report, "outDetail"), S(want, "outDetail"))) return false;
  const jval *ev = json_get(report, "events"), *wev = json_get(want, "events");
  if (!ev || !wev || ev->count != wev->count) return false;
  static const char *keys[] = {"evType", "outcome", "outDetail", "outMessg"};
  for (size_t i = 0; i < ev->count; i++) {
    const jval *e = json_at(ev, i), *w = json_at(wev, i);
    if (!w || w->count != 4) return false;
    for (size_t k = 0; k < 4; k++) {
      const jval *got = json_get(e, keys[k]), *exp = json_at(w, k);
      if (!json_equal(got, exp)) {
        fprintf(stderr, "  event %zu (%s): %s differs\n", i, S(e, "evType"), keys[k]);
        return false;
      }
    }
  }
  return true;
}

/* Dry-runs `sip` with `refs` and compares the report with `want`. */
static bool dry_run_matches(const char *sip, const char *refs, const jval *want, bool want_accepted) {
  bool accepted = !want_accepted;
  vas_bytes *report = NULL;
  vas_result r = vas_dry_run_ingest(sip, refs, NULL, &accepted, &report, NULL);
  CHECK_OK(r);
  if (r != VAS_RESULT_OK) return false;
  CHECK(accepted == want_accepted);
  jval *rep = json_parse(vas_bytes_str(report), vas_bytes_len(report));
  CHECK(rep != NULL);
  bool same = matches_projection(rep, want);
  json_free(rep);
  vas_bytes_free(report);
  return same;
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void) {
  size_t len = 0;
  char *spec_text = read_file(DIR_ "spec.json", &len);
  CHECK(spec_text != NULL);
  jval *spec = spec_text ? json_parse(spec_text, len) : NULL;
  free(spec_text);
  char *exp_text = read_file(DIR_ "expected.json", &len);
  CHECK(exp_text != NULL);
  jval *expected = exp_text ? json_parse(exp_text, len) : NULL;
  free(exp_text);
  CHECK(spec && expected);
  if (!spec || !expected) return 1;

  /* Two builds: deterministic, identical, and equal to what Rust recorded. */
  vas_bytes *pkg = build_from_spec(spec);
  vas_bytes *again = build_from_spec(spec);
  CHECK(pkg && again);
  if (!pkg || !again) return 1;
  CHECK(vas_bytes_len(pkg) == vas_bytes_len(again) &&
        !memcmp(vas_bytes_data(pkg), vas_bytes_data(again), vas_bytes_len(pkg)));
  vas_bytes_free(again);
  char sha[65];
  size_t n;
  CHECK_OK(vas_digest_bytes(VAS_DIGEST_ALGORITHM_SHA256, vas_bytes_data(pkg), vas_bytes_len(pkg), sha,
                            sizeof sha, &n));
  const jval *esip = json_get(expected, "sip");
  const char *want = S(esip, "sha256");
  CHECK(want && !strcmp(sha, want));
  if (want && strcmp(sha, want)) fprintf(stderr, "  C built %s, expected %s\n", sha, want);
  CHECK(json_num(json_get(esip, "size"), -1) == (double)vas_bytes_len(pkg));

  /* The package's dry run with the OK referentials. */
  char tmpl[] = "/tmp/vas-interop-XXXXXX";
  CHECK(mkdtemp(tmpl) != NULL);
  char sip[4096];
  snprintf(sip, sizeof sip, "%s/interop.zip", tmpl);
  FILE *f = fopen(sip, "wb");
  CHECK(f && fwrite(vas_bytes_data(pkg), 1, vas_bytes_len(pkg), f) == vas_bytes_len(pkg));
  if (f) fclose(f);
  vas_bytes_free(pkg);
  char refs[4096];
  snprintf(refs, sizeof refs, DIR_ "%s", S(spec, "ok_referentials"));
  CHECK(dry_run_matches(sip, refs, json_get(esip, "dry_run"), true));
  unlink(sip);
  rmdir(tmpl);

  /* Every KO SIP, in name order, with the KO referentials. */
  snprintf(refs, sizeof refs, DIR_ "%s", S(spec, "ko_referentials"));
  const jval *eko = json_get(expected, "ko");
  DIR *d = opendir(DIR_ "ko");
  CHECK(d != NULL);
  char *names[64];
  size_t count = 0;
  struct dirent *e;
  while (d && (e = readdir(d)) && count < 64)
    if (e->d_name[0] != '.') names[count++] = strdup(e->d_name);
  if (d) closedir(d);
  qsort(names, count, sizeof *names, cmp_names);
  CHECK(eko && count == eko->count && count > 0);
  for (size_t i = 0; i < count; i++) {
    snprintf(sip, sizeof sip, DIR_ "ko/%s", names[i]);
    const jval *want = json_get(eko, names[i]);
    CHECK(want && str_eq(S(want, "outcome"), "KO"));
    bool same = dry_run_matches(sip, refs, want, false);
    CHECK(same);
    if (!same) fprintf(stderr, "  %s: the C dry run differs from expected.json\n", names[i]);
    free(names[i]);
  }
  json_free(spec);
  json_free(expected);
  printf("interop: %d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
