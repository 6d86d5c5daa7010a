/* C tests of libvas beyond digests and manifests: SIP building and inspection, ingest dry
 * run, rules, the embedded archive and object streaming, with their errors. Run from the
 * repository root by scripts/test.d/bindings.sh, under valgrind. Oracles: the fixtures'
 * own bytes and digests, the official rules referential's durations, Vitam's outcome
 * codes, and libvas reading back what it wrote through an independent path. */
#define _POSIX_C_SOURCE 200809L
#include "vas.h"
#include "check.h"
#include "json.h"
#include "util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define REFS "examples/referentials"
#define KO_REFS "tests/fixtures/referentials/integration-ingest-internal"
#define PV "tests/interop/content/proces-verbal.txt"
#define PDF "tests/interop/content/annexe.pdf"

static jval *parse_bytes(const vas_bytes *b) { return b ? json_parse(vas_bytes_str(b), vas_bytes_len(b)) : NULL; }

/* A data source for vas_sip_builder_add_object_reader: hands out `text` in 3-byte pieces. */
typedef struct {
  const char *text;
  size_t pos;
  int calls;
} source;

static int32_t read_source(void *userdata, uint8_t *buf, size_t len, size_t *out_n) {
  source *s = userdata;
  size_t left = strlen(s->text) - s->pos;
  size_t n = left < 3 ? left : 3;
  if (n > len) n = len;
  memcpy(buf, s->text + s->pos, n);
  s->pos += n;
  s->calls++;
  *out_n = n;
  return 0;
}

static int32_t failing_source(void *userdata, uint8_t *buf, size_t len, size_t *out_n) {
  (void)userdata; (void)buf; (void)len; (void)out_n;
  return 5; /* EIO */
}

/* A small valid SIP: a File unit with rules, an Item with the proces-verbal, one with bytes
 * and one streamed from a callback. */
static vas_sip_builder *sample_builder(source *src) {
  vas_sip_builder *b = NULL;
  CHECK_OK(vas_sip_builder_new("2.2", &b));
  CHECK_OK(vas_sip_builder_set_archival_agency(b, "AG-ARCHIVES"));
  CHECK_OK(vas_sip_builder_set_transferring_agency(b, "SRV-MARCHES"));
  CHECK_OK(vas_sip_builder_set_originating_agency(b, "SRV-MARCHES"));
  CHECK_OK(vas_sip_builder_set_submission_agency(b, "SRV-MARCHES"));
  CHECK_OK(vas_sip_builder_set_archival_agreement(b, "IC-DEMO"));
  CHECK_OK(vas_sip_builder_set_comment(b, "C test"));
  CHECK_OK(vas_sip_builder_set_message_identifier(b, "C-TEST-1"));
  CHECK_OK(vas_sip_builder_set_date(b, "2026-01-02T03:04:05"));
  size_t dossier = 0, pv = 0, note = 0;
  CHECK_OK(vas_sip_builder_add_unit(b, 0, "Dossier budget 2025", &dossier));
  CHECK(dossier == 1);
  CHECK_OK(vas_sip_builder_set_unit_text(b, dossier, VAS_UNIT_FIELD_DESCRIPTION_LEVEL, "File"));
  CHECK_OK(vas_sip_builder_set_unit_text(b, dossier, VAS_UNIT_FIELD_START_DATE, "2025-01-10"));
  CHECK_OK(vas_sip_builder_set_unit_text(b, dossier, VAS_UNIT_FIELD_END_DATE, "2025-03-03"));
  CHECK_OK(vas_sip_builder_set_unit_text(b, dossier, VAS_UNIT_FIELD_DESCRIPTION, "Pièces"));
  CHECK_OK(vas_sip_builder_add_rule(b, dossier, "AppraisalRule", "APP-MARCHE-10", "2025-03-03"));
  CHECK_OK(vas_sip_builder_set_final_action(b, dossier, "AppraisalRule", "Destroy"));
  CHECK_OK(vas_sip_builder_add_rule(b, dossier, "AccessRule", "ACC-00003", "2025-03-03"));
  CHECK_OK(vas_sip_builder_add_field(b, dossier, "Keyword.0.KeywordContent", "budget"));
  CHECK_OK(vas_sip_builder_add_unit_with_id(b, dossier, "PV", "Procès-verbal", &pv));
  CHECK_OK(vas_sip_builder_set_unit_text(b, pv, VAS_UNIT_FIELD_DESCRIPTION_LEVEL, "Item"));
  CHECK_OK(vas_sip_builder_add_object_path(b, pv, PV, NULL));
  vas_object_options o = VAS_OBJECT_OPTIONS_INIT;
  o.usage = "Dissemination_1";
  o.mime_type = "text/plain";
  CHECK_OK(vas_sip_builder_add_object_bytes(b, pv, "pv.txt", (const uint8_t *)"diffusion\n", 10, &o));
  CHECK_OK(vas_sip_builder_add_unit(b, dossier, "Note", &note));
  CHECK_OK(vas_sip_builder_set_unit_text(b, note, VAS_UNIT_FIELD_DESCRIPTION_LEVEL, "Item"));
  CHECK_OK(vas_sip_builder_add_object_reader(b, note, "note.txt", read_source, src, NULL));
  CHECK(vas_sip_builder_unit_count(b) == 3);
  CHECK(vas_sip_builder_object_count(b) == 3);
  return b;
}

static void test_builder_errors(void) {
  vas_sip_builder *b = (vas_sip_builder *)0x1;
  CHECK_RESULT(vas_sip_builder_new("3.0", &b), VAS_RESULT_INVALID_INPUT);
  CHECK(b == (vas_sip_builder *)0x1);
  CHECK_RESULT(vas_sip_builder_new(NULL, NULL), VAS_RESULT_NULL_PARAMETER);
  b = NULL;
  CHECK_OK(vas_sip_builder_new(NULL, &b));
  size_t u = 0, v = 77;
  CHECK_RESULT(vas_sip_builder_add_unit(b, 5, "x", &v), VAS_RESULT_NOT_FOUND);
  CHECK(v == 77);
  CHECK_RESULT(vas_sip_builder_add_unit(b, 0, "  ", &v), VAS_RESULT_INVALID_INPUT);
  CHECK_RESULT(vas_sip_builder_add_unit(b, 0, NULL, &v), VAS_RESULT_NULL_PARAMETER);
  CHECK_RESULT(vas_sip_builder_add_unit(b, 0, "x", NULL), VAS_RESULT_NULL_PARAMETER);
  CHECK_RESULT(vas_sip_builder_add_unit(NULL, 0, "x", &v), VAS_RESULT_NULL_PARAMETER);
  CHECK_OK(vas_sip_builder_add_unit_with_id(b, 0, "U1", "Un", &u));
  CHECK_RESULT(vas_sip_builder_add_unit_with_id(b, 0, "U1", "Deux", &v), VAS_RESULT_ALREADY_EXISTS);
  CHECK_RESULT(vas_sip_builder_add_unit_with_id(b, 0, "1 bad", "Deux", &v), VAS_RESULT_INVALID_INPUT);
  CHECK_RESULT(vas_sip_builder_find_unit(b, "nope", &v), VAS_RESULT_NOT_FOUND);
  CHECK_OK(vas_sip_builder_find_unit(b, "U1", &v));
  CHECK(v == u);
  char id[8];
  size_t n;
  CHECK_OK(vas_sip_builder_unit_id(b, u, id, sizeof id, &n));
  CHECK(!strcmp(id, "U1") && n == 2);
  CHECK_RESULT(vas_sip_builder_unit_id(b, u, id, 2, &n), VAS_RESULT_BUFFER_TOO_SMALL);
  CHECK_RESULT(vas_sip_builder_set_unit_text(b, u, 42, "x"), VAS_RESULT_INVALID_INPUT);
  CHECK_RESULT(vas_sip_builder_set_unit_text(b, u, VAS_UNIT_FIELD_TITLE, NULL), VAS_RESULT_INVALID_INPUT);
  CHECK_RESULT(vas_sip_builder_set_unit_text(b, 9, VAS_UNIT_FIELD_TITLE, "x"), VAS_RESULT_NOT_FOUND);
  /* Objects: a missing file (its path in the detail), a usage Vitam refuses (its code),
   * the same usage twice, a physical usage on a binary object, a NULL callback. */
  CHECK_RESULT(vas_sip_builder_add_object_path(b, u, "no/such/file.pdf", NULL), VAS_RESULT_NOT_FOUND);
  jval *d = last_detail();
  CHECK(d && json_str(json_get(d, "path")) && !strcmp(json_str(json_get(d, "path")), "no/such/file.pdf"));
  json_free(d);
  vas_object_options o = VAS_OBJECT_OPTIONS_INIT;
  o.usage = "Original_1";
  CHECK_RESULT(vas_sip_builder_add_object_path(b, u, PV, &o), VAS_RESULT_INVALID_INPUT);
  d = last_detail();
  CHECK(d && json_str(json_get(d, "outcome_code")) &&
        strstr(json_str(json_get(d, "outcome_code")), "INVALID_DATAOBJECTVERSION.KO") != NULL);
  json_free(d);
  CHECK_OK(vas_sip_builder_add_object_path(b, u, PV, NULL));
  CHECK_RESULT(vas_sip_builder_add_object_bytes(b, u, "b.txt", (const uint8_t *)"b", 1, NULL),
               VAS_RESULT_INVALID_INPUT); /* a second BinaryMaster_1 */
  CHECK_RESULT(vas_sip_builder_add_object_bytes(b, u, "b.txt", NULL, 1, NULL), VAS_RESULT_NULL_PARAMETER);
  CHECK_RESULT(vas_sip_builder_add_object_reader(b, u, "r.txt", NULL, NULL, NULL), VAS_RESULT_NULL_PARAMETER);
  CHECK_RESULT(vas_sip_builder_add_physical_object(b, u, "BinaryMaster_2", "X"), VAS_RESULT_INVALID_INPUT);
  CHECK_OK(vas_sip_builder_add_physical_object(b, u, "PhysicalMaster_1", "3 E 12/4"));
  /* Links: a cycle is refused. */
  size_t child = 0;
  CHECK_OK(vas_sip_builder_add_unit(b, u, "Enfant", &child));
  CHECK_RESULT(vas_sip_builder_link(b, child, u), VAS_RESULT_INVALID_INPUT);
  CHECK_RESULT(vas_sip_builder_link(b, child, 99), VAS_RESULT_NOT_FOUND);
  /* Options: unknown format, bad algorithm and level; no output file is left. */
  char out[256];
  path_in_tmp(out, sizeof out, "bad.zip");
  vas_build_options bo = VAS_BUILD_OPTIONS_INIT;
  bo.format = "rar";
  CHECK_RESULT(vas_sip_builder_write_to_file(b, out, &bo, NULL), VAS_RESULT_INVALID_INPUT);
  bo.format = NULL;
  bo.digest_algorithm = 9;
  CHECK_RESULT(vas_sip_builder_write_to_file(b, out, &bo, NULL), VAS_RESULT_INVALID_INPUT);
  bo.digest_algorithm = 0;
  bo.compression_level = 12;
  CHECK_RESULT(vas_sip_builder_write_to_file(b, out, &bo, NULL), VAS_RESULT_INVALID_INPUT);
  CHECK(access(out, F_OK) != 0);
  /* An existing output file: ALREADY_EXISTS, and the file is untouched. */
  FILE *f = fopen(out, "w");
  fputs("keep", f);
  fclose(f);
  CHECK_RESULT(vas_sip_builder_write_to_file(b, out, NULL, NULL), VAS_RESULT_ALREADY_EXISTS);
  size_t len = 0;
  char *kept = read_file(out, &len);
  CHECK(kept && !strcmp(kept, "keep"));
  free(kept);
  unlink(out);
  /* The builder survived the refusal (a spent builder counts no unit). */
  CHECK(vas_sip_builder_unit_count(b) == 2);
  vas_sip_builder_free(b);

  /* A failing read callback fails the build with an I/O error, leaving no file. */
  b = NULL;
  CHECK_OK(vas_sip_builder_new("2.1", &b));
  CHECK_OK(vas_sip_builder_set_archival_agency(b, "A"));
  CHECK_OK(vas_sip_builder_set_transferring_agency(b, "T"));
  CHECK_OK(vas_sip_builder_add_unit(b, 0, "R", &u));
  CHECK_OK(vas_sip_builder_add_object_reader(b, u, "r.txt", failing_source, NULL, NULL));
  CHECK_RESULT(vas_sip_builder_write_to_file(b, out, NULL, NULL), VAS_RESULT_IO);
  CHECK(access(out, F_OK) != 0);
  /* The builder is spent, even after a failed write. */
  CHECK_RESULT(vas_sip_builder_add_unit(b, 0, "again", &v), VAS_RESULT_INVALID_INPUT);
  CHECK(vas_sip_builder_unit_count(b) == 0);
  vas_sip_builder_free(b);
  vas_sip_builder_free(NULL);
  /* A SIP needs a unit. */
  b = NULL;
  CHECK_OK(vas_sip_builder_new("2.3", &b));
  vas_bytes *pkg = (vas_bytes *)0x1;
  CHECK_RESULT(vas_sip_builder_write_to_bytes(b, NULL, &pkg, NULL), VAS_RESULT_INVALID_INPUT);
  CHECK(pkg == (vas_bytes *)0x1);
  vas_sip_builder_free(b);
}

/* Builds the sample SIP into `sip`; checks the report against the sources' digests. */
static void build_sample(const char *sip, const char *format) {
  source src = {"contenu lu par morceaux\n", 0, 0};
  vas_sip_builder *b = sample_builder(&src);
  vas_build_options bo = VAS_BUILD_OPTIONS_INIT;
  bo.format = format;
  bo.identify_formats = true;
  bo.digest_algorithm = VAS_DIGEST_ALGORITHM_SHA256;
  vas_bytes *report = NULL;
  CHECK_OK(vas_sip_builder_write_to_file(b, sip, &bo, &report));
  vas_sip_builder_free(b);
  CHECK(src.calls >= 8); /* 24 bytes in 3-byte pieces, plus the end */
  jval *r = parse_bytes(report);
  vas_bytes_free(report);
  CHECK(r && json_num(json_get(r, "units"), 0) == 3);
  CHECK(r && !strcmp(json_str(json_get(r, "algorithm")), "SHA-256"));
  const jval *objs = json_get(r, "objects");
  CHECK(objs && objs->count == 3);
  /* Each object's digest is the SHA-256 of its source, computed independently here. */
  char want[3][65];
  size_t n, len;
  uint64_t size;
  CHECK_OK(vas_digest_file(VAS_DIGEST_ALGORITHM_SHA256, PV, want[0], 65, &n, &size));
  CHECK_OK(vas_digest_bytes(VAS_DIGEST_ALGORITHM_SHA256, (const uint8_t *)"diffusion\n", 10, want[1], 65, &n));
  CHECK_OK(vas_digest_bytes(VAS_DIGEST_ALGORITHM_SHA256, (const uint8_t *)src.text, strlen(src.text), want[2], 65, &n));
  for (int i = 0; i < 3; i++) {
    bool found = false;
    for (size_t j = 0; objs && j < objs->count; j++)
      if (!strcmp(json_str(json_get(json_at(objs, j), "digest")), want[i])) found = true;
    CHECK(found);
  }
  json_free(r);
  char *bytes = read_file(sip, &len);
  CHECK(bytes && len > 0);
  free(bytes);
}

static void test_build_and_inspect(void) {
  char sip[256];
  path_in_tmp(sip, sizeof sip, "sample.zip");
  build_sample(sip, NULL);
  vas_inspect_options io = VAS_INSPECT_OPTIONS_INIT;
  io.tree = true;
  io.entries = true;
  vas_bytes *out = NULL;
  CHECK_OK(vas_sip_inspect_json(sip, &io, &out));
  jval *v = parse_bytes(out);
  vas_bytes_free(out);
  CHECK(v && !strcmp(json_str(json_get(v, "verdict")), "OK"));
  CHECK(v && !strcmp(json_str(json_get(v, "container")), "zip"));
  CHECK(v && json_num(json_get(v, "digests_ok"), 0) == 3);
  CHECK(v && json_num(json_get(json_get(v, "counts"), "units"), 0) == 3);
  CHECK(v && !strcmp(json_str(json_get(json_get(v, "header"), "message_identifier")), "C-TEST-1"));
  CHECK(v && !strcmp(json_str(json_get(json_get(v, "header"), "seda_version")), "2.2"));
  const jval *tree = json_get(v, "tree");
  CHECK(tree && tree->count == 3 && !strcmp(json_str(json_get(json_at(tree, 0), "title")), "Dossier budget 2025"));
  CHECK(tree && json_num(json_get(json_at(tree, 1), "depth"), 0) == 1);
  CHECK(json_get(v, "entry_list") && json_get(v, "entry_list")->count >= 4);
  json_free(v);

  /* The same SIP as tar.gz. */
  char tgz[256];
  path_in_tmp(tgz, sizeof tgz, "sample.tar.gz");
  build_sample(tgz, "tar.gz");
  out = NULL;
  CHECK_OK(vas_sip_inspect_json(tgz, NULL, &out));
  v = parse_bytes(out);
  vas_bytes_free(out);
  CHECK(v && !strcmp(json_str(json_get(v, "verdict")), "OK"));
  CHECK(v && strstr(json_str(json_get(v, "container")), "tar") != NULL);
  CHECK(v && json_get(v, "tree") && json_get(v, "tree")->t == J_NULL);
  json_free(v);
  unlink(tgz);

  /* A KO SIP: digests declared with an algorithm Vitam refuses. */
  out = NULL;
  CHECK_OK(vas_sip_inspect_json("tests/interop/ko/SIP_INCORRECT_ALGORITHM.zip", NULL, &out));
  v = parse_bytes(out);
  vas_bytes_free(out);
  CHECK(v && !strcmp(json_str(json_get(v, "verdict")), "KO"));
  const jval *viol = json_at(json_get(v, "violations"), 0);
  CHECK(viol && !strcmp(json_str(json_get(viol, "code")),
                        "CHECK_DATAOBJECTPACKAGE.CHECK_MANIFEST_DATAOBJECT_VERSION.INVALIDE_ALGO.KO"));
  json_free(v);
  /* Not a package: a verdict REFUSED, not an error. */
  out = NULL;
  CHECK_OK(vas_sip_inspect_json(PV, NULL, &out));
  v = parse_bytes(out);
  vas_bytes_free(out);
  CHECK(v && !strcmp(json_str(json_get(v, "verdict")), "REFUSED"));
  CHECK(v && json_str(json_get(json_get(v, "error"), "kind")) != NULL);
  json_free(v);
  /* Errors. */
  out = (vas_bytes *)0x1;
  CHECK_RESULT(vas_sip_inspect_json("no/such.zip", NULL, &out), VAS_RESULT_NOT_FOUND);
  CHECK(out == (vas_bytes *)0x1);
  CHECK_RESULT(vas_sip_inspect_json(sip, NULL, NULL), VAS_RESULT_NULL_PARAMETER);
  CHECK_RESULT(vas_sip_inspect_json(NULL, NULL, &out), VAS_RESULT_NULL_PARAMETER);
  /* vas_bytes accessors accept NULL. */
  CHECK(vas_bytes_len(NULL) == 0 && vas_bytes_data(NULL) == NULL && vas_bytes_str(NULL) == NULL);
  vas_bytes_free(NULL);
}

static void test_folder_and_csv(void) {
  char dir[256], sub[300], file[400], csv[256];
  path_in_tmp(dir, sizeof dir, "folder");
  snprintf(sub, sizeof sub, "%s/Minutes", dir);
  CHECK(mkdir(dir, 0700) == 0 && mkdir(sub, 0700) == 0);
  snprintf(file, sizeof file, "%s/2024-01.txt", sub);
  FILE *f = fopen(file, "w");
  fputs("minutes", f);
  fclose(f);
  snprintf(file, sizeof file, "%s/__Dissemination_1__minutes.txt", sub);
  f = fopen(file, "w");
  fputs("diffusion", f);
  fclose(f);
  path_in_tmp(csv, sizeof csv, "meta.csv");
  f = fopen(csv, "w");
  fputs("File;Content.Title;Content.Description\nMinutes/2024-01.txt;Compte rendu janvier;Séance du conseil\n", f);
  fclose(f);

  vas_sip_builder *b = NULL;
  CHECK_OK(vas_sip_builder_new(NULL, &b));
  CHECK_OK(vas_sip_builder_set_archival_agency(b, "A"));
  CHECK_OK(vas_sip_builder_set_transferring_agency(b, "T"));
  size_t rows = 0;
  CHECK_RESULT(vas_sip_builder_apply_csv(b, csv, NULL, NULL, &rows), VAS_RESULT_INVALID_INPUT); /* no import yet */
  vas_bytes *out = NULL;
  CHECK_OK(vas_sip_builder_import_folder(b, dir, 0, false, &out));
  jval *v = parse_bytes(out);
  vas_bytes_free(out);
  CHECK(v && json_num(json_get(v, "objects"), 0) == 2);
  const jval *units = json_get(v, "units");
  CHECK(units && units->count == 2);
  double h = json_num(json_get(units, "Minutes/2024-01.txt"), 0);
  CHECK(h >= 1);
  json_free(v);
  CHECK(vas_sip_builder_unit_count(b) == 2);
  CHECK_OK(vas_sip_builder_apply_csv(b, csv, ";", "utf-8", &rows));
  CHECK(rows == 1);
  CHECK_RESULT(vas_sip_builder_apply_csv(b, csv, ";;", NULL, &rows), VAS_RESULT_INVALID_INPUT);
  CHECK_RESULT(vas_sip_builder_apply_csv(b, csv, NULL, "latin-9", &rows), VAS_RESULT_INVALID_INPUT);
  CHECK_RESULT(vas_sip_builder_import_folder(b, "no/such/folder", 0, false, NULL), VAS_RESULT_NOT_FOUND);
  CHECK_RESULT(vas_sip_builder_import_folder(b, PV, 0, false, NULL), VAS_RESULT_INVALID_INPUT);
  char sip[256];
  path_in_tmp(sip, sizeof sip, "folder.tar");
  vas_build_options bo = VAS_BUILD_OPTIONS_INIT;
  bo.format = "tar";
  CHECK_OK(vas_sip_builder_write_to_file(b, sip, &bo, NULL));
  vas_sip_builder_free(b);
  /* The CSV's title is in the package. */
  vas_inspect_options io = VAS_INSPECT_OPTIONS_INIT;
  io.tree = true;
  out = NULL;
  CHECK_OK(vas_sip_inspect_json(sip, &io, &out));
  CHECK(out && strstr(vas_bytes_str(out), "Compte rendu janvier") != NULL);
  CHECK(strstr(vas_bytes_str(out), "\"verdict\":\"OK\"") != NULL);
  vas_bytes_free(out);
  unlink(sip);

  /* A CSV defining the tree (ID;ParentID). */
  f = fopen(csv, "w");
  fputs("ID;ParentID;File;Content.Title\n1;;;Fonds\n2;1;Minutes/2024-01.txt;Pièce A\n", f);
  fclose(f);
  b = NULL;
  CHECK_OK(vas_sip_builder_new(NULL, &b));
  out = NULL;
  CHECK_OK(vas_sip_builder_import_csv(b, csv, dir, NULL, NULL, &out));
  v = parse_bytes(out);
  vas_bytes_free(out);
  CHECK(v && json_get(v, "units") && json_get(v, "units")->count == 2);
  CHECK(v && json_num(json_get(v, "objects"), 0) == 1);
  json_free(v);
  CHECK_RESULT(vas_sip_builder_import_csv(b, "no/such.csv", dir, NULL, NULL, NULL), VAS_RESULT_NOT_FOUND);
  vas_sip_builder_free(b);
  unlink(csv);
  unlink(file);
  snprintf(file, sizeof file, "%s/2024-01.txt", sub);
  unlink(file);
  rmdir(sub);
  rmdir(dir);
}

static void test_dry_run_and_rules(void) {
  char sip[256];
  path_in_tmp(sip, sizeof sip, "sample.zip");
  bool accepted = false;
  vas_bytes *report = NULL, *atr = NULL;
  CHECK_OK(vas_dry_run_ingest(sip, REFS, NULL, &accepted, &report, &atr));
  CHECK(accepted);
  jval *r = parse_bytes(report);
  CHECK(r && json_str(json_get(r, "outcome")) && strcmp(json_str(json_get(r, "outcome")), "KO") != 0);
  json_free(r);
  CHECK(atr && strstr(vas_bytes_str(atr), "ArchiveTransferReply") != NULL);
  CHECK(atr && strstr(vas_bytes_str(atr), "C-TEST-1") != NULL);
  vas_bytes_free(report);
  vas_bytes_free(atr);
  /* Only the verdict. */
  CHECK_OK(vas_dry_run_ingest(sip, NULL, NULL, &accepted, NULL, NULL));
  CHECK(accepted);
  /* A KO SIP: refused (a verdict) with Vitam's code in the report and the ATR. */
  report = atr = NULL;
  CHECK_OK(vas_dry_run_ingest("tests/interop/ko/SIP_INCORRECT_ALGORITHM.zip", KO_REFS, NULL, &accepted, &report, &atr));
  CHECK(!accepted);
  r = parse_bytes(report);
  CHECK(r && !strcmp(json_str(json_get(r, "outcome")), "KO"));
  json_free(r);
  CHECK(atr && strstr(vas_bytes_str(atr), "KO") != NULL);
  vas_bytes_free(report);
  vas_bytes_free(atr);
  /* Errors. */
  accepted = true;
  CHECK_RESULT(vas_dry_run_ingest("no/such.zip", REFS, NULL, &accepted, NULL, NULL), VAS_RESULT_NOT_FOUND);
  CHECK(accepted);
  CHECK_RESULT(vas_dry_run_ingest(sip, "no/such/referentials", NULL, &accepted, NULL, NULL), VAS_RESULT_NOT_FOUND);
  CHECK_RESULT(vas_dry_run_ingest(sip, REFS, NULL, NULL, NULL, NULL), VAS_RESULT_NULL_PARAMETER);

  /* Rules: APP-MARCHE-10 is 10 years in rules.csv, ACC-00003 25 years, from 2025-03-03. */
  vas_bytes *out = NULL;
  CHECK_OK(vas_compute_rules_json(REFS, sip, NULL, "2030-01-01", &out));
  jval *v = parse_bytes(out);
  vas_bytes_free(out);
  const jval *units = json_get(v, "units");
  CHECK(units && units->count == 3);
  const char *text = NULL;
  out = NULL;
  CHECK_OK(vas_compute_rules_json(REFS, sip, "PV", NULL, &out));
  text = vas_bytes_str(out);
  CHECK(strstr(text, "2035-03-03") != NULL); /* inherited appraisal end */
  CHECK(strstr(text, "2050-03-03") != NULL); /* inherited access end */
  CHECK(strstr(text, "\"decisions\"") == NULL);
  jval *pv = parse_bytes(out);
  CHECK(pv && json_get(pv, "units")->count == 1 && !strcmp(json_str(json_get(json_at(json_get(pv, "units"), 0), "id")), "PV"));
  json_free(pv);
  vas_bytes_free(out);
  /* At a date: the decisions (not communicable before 2050). */
  const jval *first = json_at(units, 0);
  const jval *dec = json_get(first, "decisions");
  CHECK(dec != NULL && dec->t == J_OBJ);
  json_free(v);
  /* The manifest in memory gives the same answer as the package. */
  out = NULL;
  CHECK_OK(vas_compute_rules_json(REFS, sip, NULL, NULL, &out));
  vas_bytes *from_pkg = out;
  /* Errors: unknown unit, bad date, missing referentials, unknown rule (Vitam's code). */
  out = (vas_bytes *)0x1;
  CHECK_RESULT(vas_compute_rules_json(REFS, sip, "NOPE", NULL, &out), VAS_RESULT_NOT_FOUND);
  CHECK(out == (vas_bytes *)0x1);
  CHECK_RESULT(vas_compute_rules_json(REFS, sip, NULL, "2030-13-45", &out), VAS_RESULT_INVALID_INPUT);
  CHECK_RESULT(vas_compute_rules_json("no/such/refs", sip, NULL, NULL, &out), VAS_RESULT_NOT_FOUND);
  CHECK_RESULT(vas_compute_rules_json(REFS, "no/such.zip", NULL, NULL, &out), VAS_RESULT_NOT_FOUND);
  CHECK_RESULT(vas_compute_rules_json(REFS, sip, NULL, NULL, NULL), VAS_RESULT_NULL_PARAMETER);
  vas_sip_builder *b = NULL;
  size_t u;
  CHECK_OK(vas_sip_builder_new(NULL, &b));
  CHECK_OK(vas_sip_builder_set_archival_agency(b, "A"));
  CHECK_OK(vas_sip_builder_set_transferring_agency(b, "T"));
  CHECK_OK(vas_sip_builder_add_unit(b, 0, "U", &u));
  CHECK_OK(vas_sip_builder_add_rule(b, u, "AccessRule", "ACC-99999", "2020-01-01"));
  char bad[256];
  path_in_tmp(bad, sizeof bad, "badrule.zip");
  CHECK_OK(vas_sip_builder_write_to_file(b, bad, NULL, NULL));
  vas_sip_builder_free(b);
  CHECK_RESULT(vas_compute_rules_json(REFS, bad, NULL, NULL, &out), VAS_RESULT_INVALID_INPUT);
  jval *d = last_detail();
  CHECK(d && json_str(json_get(d, "outcome_code")) != NULL);
  json_free(d);
  unlink(bad);
  /* Bytes: a manifest in memory. */
  static const char *manifest =
      "<ArchiveTransfer xmlns=\"fr:gouv:culture:archivesdefrance:seda:v2.1\"><Date>2024-01-01T00:00:00</Date>"
      "<MessageIdentifier>M</MessageIdentifier><CodeListVersions/><DataObjectPackage><DescriptiveMetadata>"
      "<ArchiveUnit id=\"A\"><Management><AccessRule><Rule>ACC-00003</Rule><StartDate>2000-06-01</StartDate>"
      "</AccessRule></Management><Content><DescriptionLevel>Item</DescriptionLevel><Title>T</Title></Content>"
      "</ArchiveUnit></DescriptiveMetadata><ManagementMetadata/></DataObjectPackage>"
      "<ArchivalAgency><Identifier>A</Identifier></ArchivalAgency>"
      "<TransferringAgency><Identifier>T</Identifier></TransferringAgency></ArchiveTransfer>";
  out = NULL;
  CHECK_OK(vas_compute_rules_bytes_json(REFS, (const uint8_t *)manifest, strlen(manifest), NULL, NULL, &out));
  CHECK(out && strstr(vas_bytes_str(out), "2025-06-01") != NULL);
  vas_bytes_free(out);
  CHECK_RESULT(vas_compute_rules_bytes_json(REFS, (const uint8_t *)"<nope", 5, NULL, NULL, &out), VAS_RESULT_XML);
  vas_bytes_free(from_pkg);
}

typedef struct {
  const vas_archive *a;
  const char *unit;
  int ok; /* threads that succeeded (updated under the lock) */
} shared;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *reader_thread(void *arg) {
  shared *sh = arg;
  int good = 1;
  for (int i = 0; i < 3; i++) {
    vas_bytes *out = NULL, *data = NULL;
    good = good && vas_archive_search_json(sh->a, "AC-DEMO", "{\"$query\": {\"$match\": {\"Title\": \"budget\"}}}", &out) == VAS_RESULT_OK;
    good = good && vas_archive_read_object(sh->a, "AC-DEMO", sh->unit, "BinaryMaster", &data, NULL) == VAS_RESULT_OK;
    vas_bytes_free(out);
    vas_bytes_free(data);
  }
  pthread_mutex_lock(&lock);
  sh->ok += good;
  pthread_mutex_unlock(&lock);
  return NULL;
}

static void test_archive(void) {
  char dir[256], sip[256];
  path_in_tmp(dir, sizeof dir, "archive");
  path_in_tmp(sip, sizeof sip, "sample.zip");
  vas_archive_init_options init = VAS_ARCHIVE_INIT_OPTIONS_INIT;
  init.referentials = REFS;
  vas_archive *a = NULL;
  CHECK_OK(vas_archive_create(dir, &init, &a));
  CHECK(a != NULL);
  vas_archive *b = (vas_archive *)0x1;
  CHECK_RESULT(vas_archive_create(dir, NULL, &b), VAS_RESULT_ALREADY_EXISTS);
  CHECK(b == (vas_archive *)0x1);
  /* The folder is locked while open. */
  CHECK_RESULT(vas_archive_open(dir, &b), VAS_RESULT_CONFLICT);
  CHECK_RESULT(vas_archive_open("no/such/archive", &b), VAS_RESULT_NOT_FOUND);
  CHECK_RESULT(vas_archive_open(dir, NULL), VAS_RESULT_NULL_PARAMETER);
  vas_bytes *out = NULL;
  CHECK_OK(vas_archive_info_json(a, &out));
  CHECK(strstr(vas_bytes_str(out), "\"contracts\":[\"AC-DEMO\"]") != NULL);
  CHECK(strstr(vas_bytes_str(out), "\"units\":0") != NULL);
  vas_bytes_free(out);

  /* Ingest: accepted, the result names the system ids. */
  bool accepted = false;
  vas_bytes *result = NULL, *atr = NULL;
  CHECK_OK(vas_archive_ingest(a, sip, NULL, &accepted, &result, &atr));
  CHECK(accepted);
  jval *res = parse_bytes(result);
  vas_bytes_free(result);
  CHECK(atr && strstr(vas_bytes_str(atr), "ArchiveTransferReply") != NULL);
  vas_bytes_free(atr);
  const char *pv_id = json_str(json_get(json_get(res, "systemIds"), "PV"));
  const char *op = json_str(json_get(res, "operation"));
  CHECK(pv_id != NULL && op != NULL);
  if (!pv_id || !op) { json_free(res); vas_archive_free(a); return; }

  /* Search, then get the unit. */
  out = NULL;
  CHECK_OK(vas_archive_search_json(a, "AC-DEMO", "{\"$query\": {\"$match\": {\"Title\": \"Procès-verbal\"}}}", &out));
  jval *hits = parse_bytes(out);
  vas_bytes_free(out);
  CHECK(hits && json_num(json_get(json_get(hits, "$hits"), "total"), 0) == 1);
  CHECK(hits && !strcmp(json_str(json_get(json_at(json_get(hits, "$results"), 0), "#id")), pv_id));
  json_free(hits);
  out = NULL;
  CHECK_OK(vas_archive_get_unit_json(a, "AC-DEMO", pv_id, &out));
  CHECK(strstr(vas_bytes_str(out), "Procès-verbal") != NULL);
  vas_bytes_free(out);
  CHECK_RESULT(vas_archive_get_unit_json(a, "AC-DEMO", "aeaqaaaaaanope", &out), VAS_RESULT_NOT_FOUND);
  CHECK_RESULT(vas_archive_get_unit_json(a, "NO-CONTRACT", pv_id, &out), VAS_RESULT_NOT_FOUND);
  CHECK_RESULT(vas_archive_search_json(a, "NO-CONTRACT", "{}", &out), VAS_RESULT_NOT_FOUND);
  CHECK_RESULT(vas_archive_search_json(a, "AC-DEMO", "{not json", &out), VAS_RESULT_INVALID_INPUT);
  CHECK_RESULT(vas_archive_search_json(NULL, "AC-DEMO", "{}", &out), VAS_RESULT_NULL_PARAMETER);

  /* The object, three ways, equals the source file. */
  size_t src_len = 0;
  char *src = read_file(PV, &src_len);
  vas_bytes *data = NULL, *info = NULL;
  CHECK_OK(vas_archive_read_object(a, "AC-DEMO", pv_id, "BinaryMaster", &data, &info));
  CHECK(data && vas_bytes_len(data) == src_len && !memcmp(vas_bytes_data(data), src, src_len));
  CHECK(info && strstr(vas_bytes_str(info), "\"usage\":\"BinaryMaster\"") != NULL);
  vas_bytes_free(data);
  vas_bytes_free(info);
  vas_object_reader *rd = NULL;
  CHECK_OK(vas_archive_open_object(a, "AC-DEMO", pv_id, "BinaryMaster", &rd));
  char *streamed = malloc(src_len + 64);
  size_t total = 0, n = 0;
  uint8_t piece[7];
  do {
    CHECK_OK(vas_object_reader_read(rd, piece, sizeof piece, &n));
    if (total + n <= src_len + 64) memcpy(streamed + total, piece, n);
    total += n;
  } while (n > 0);
  CHECK(total == src_len && !memcmp(streamed, src, src_len));
  free(streamed);
  CHECK_OK(vas_object_reader_read(rd, piece, 0, &n));
  CHECK(n == 0);
  CHECK_RESULT(vas_object_reader_read(rd, NULL, 4, &n), VAS_RESULT_NULL_PARAMETER);
  info = NULL;
  CHECK_OK(vas_object_reader_info_json(rd, &info));
  jval *iv = parse_bytes(info);
  CHECK(iv && json_num(json_get(iv, "Size"), -1) == (double)src_len);
  json_free(iv);
  vas_bytes_free(info);
  vas_object_reader_free(rd);
  vas_object_reader_free(NULL);
  char dest[256];
  path_in_tmp(dest, sizeof dest, "exported.txt");
  CHECK_OK(vas_archive_export_object(a, "AC-DEMO", pv_id, "BinaryMaster", dest, NULL));
  size_t exp_len = 0;
  char *exported = read_file(dest, &exp_len);
  CHECK(exported && exp_len == src_len && !memcmp(exported, src, src_len));
  free(exported);
  unlink(dest);
  free(src);
  CHECK_RESULT(vas_archive_open_object(a, "AC-DEMO", pv_id, "Thumbnail", &rd), VAS_RESULT_NOT_FOUND);
  CHECK_RESULT(vas_archive_read_object(a, "AC-DEMO", "nope", "BinaryMaster", &data, NULL), VAS_RESULT_NOT_FOUND);
  CHECK_RESULT(vas_archive_read_object(a, "AC-DEMO", pv_id, "BinaryMaster", NULL, NULL), VAS_RESULT_NULL_PARAMETER);

  /* One archive handle used from two threads at once. */
  {
    pthread_t t[2];
    shared sh = {a, pv_id, 0};
    for (int i = 0; i < 2; i++) CHECK(pthread_create(&t[i], NULL, reader_thread, &sh) == 0);
    for (int i = 0; i < 2; i++) CHECK(pthread_join(t[i], NULL) == 0);
    CHECK(sh.ok == 2);
  }

  /* DIP of the whole dossier. */
  char dip[256];
  path_in_tmp(dip, sizeof dip, "dip.zip");
  vas_bytes *summary = NULL;
  CHECK_OK(vas_archive_dip(a, "AC-DEMO", "{\"$query\": {\"$match\": {\"Title\": \"budget\"}}}", dip, &summary));
  jval *s = parse_bytes(summary);
  vas_bytes_free(summary);
  CHECK(s && json_num(json_get(s, "units"), 0) >= 1);
  json_free(s);
  struct stat st;
  CHECK(stat(dip, &st) == 0 && st.st_size > 0);
  unlink(dip);
  CHECK_RESULT(vas_archive_dip(a, "NO-CONTRACT", "{}", dip, NULL), VAS_RESULT_NOT_FOUND);

  /* Logbook. */
  out = NULL;
  CHECK_OK(vas_archive_operations_json(a, &out));
  jval *ops = parse_bytes(out);
  vas_bytes_free(out);
  CHECK(ops && ops->t == J_ARR && ops->count == 1);
  json_free(ops);
  out = NULL;
  CHECK_OK(vas_archive_operation_json(a, op, &out));
  CHECK(strstr(vas_bytes_str(out), op) != NULL);
  vas_bytes_free(out);
  CHECK_RESULT(vas_archive_operation_json(a, "aeeaaaaaaanope", &out), VAS_RESULT_NOT_FOUND);
  out = NULL;
  CHECK_OK(vas_archive_lifecycle_json(a, "UNIT", pv_id, &out));
  jval *lc = parse_bytes(out);
  CHECK(lc && lc->t == J_ARR && lc->count >= 1);
  json_free(lc);
  vas_bytes_free(out);
  CHECK_RESULT(vas_archive_lifecycle_json(a, "FILE", pv_id, &out), VAS_RESULT_INVALID_INPUT);
  out = NULL;
  CHECK_OK(vas_archive_accession_register_json(a, "AC-DEMO", &out));
  CHECK(strstr(vas_bytes_str(out), "SRV-MARCHES") != NULL);
  vas_bytes_free(out);

  /* A KO SIP: refused, only its operation is logged. */
  CHECK_OK(vas_archive_ingest(a, "tests/interop/ko/SIP_INCORRECT_ALGORITHM.zip", NULL, &accepted, NULL, NULL));
  CHECK(!accepted);
  CHECK_RESULT(vas_archive_ingest(a, "no/such.zip", NULL, &accepted, NULL, NULL), VAS_RESULT_NOT_FOUND);

  /* Verify, audit, rebuild. */
  bool ok = false;
  out = NULL;
  CHECK_OK(vas_archive_verify(a, &ok, &out));
  CHECK(ok);
  CHECK(strstr(vas_bytes_str(out), "\"problems\":[]") != NULL);
  vas_bytes_free(out);
  out = NULL;
  CHECK_OK(vas_archive_audit_json(a, false, &out));
  jval *au = parse_bytes(out);
  vas_bytes_free(out);
  CHECK(au && json_num(json_get(au, "checked"), 0) > 0 && json_get(au, "findings")->count == 0);
  json_free(au);
  out = NULL;
  CHECK_OK(vas_archive_rebuild(a, &out));
  CHECK(strstr(vas_bytes_str(out), "\"units\":3") != NULL);
  vas_bytes_free(out);
  CHECK_RESULT(vas_archive_verify(a, NULL, NULL), VAS_RESULT_NULL_PARAMETER);

  /* Close, reopen, still there. */
  vas_archive_free(a);
  a = NULL;
  CHECK_OK(vas_archive_open(dir, &a));
  out = NULL;
  CHECK_OK(vas_archive_get_unit_json(a, "AC-DEMO", pv_id, &out));
  vas_bytes_free(out);
  vas_archive_free(a);
  vas_archive_free(NULL);
  json_free(res);
}

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  CHECK(f != NULL);
  if (!f) return;
  CHECK(fwrite(text, 1, strlen(text), f) == strlen(text));
  fclose(f);
}

static void copy_file(const char *from, const char *to) {
  size_t len = 0;
  char *bytes = read_file(from, &len);
  CHECK(bytes != NULL);
  if (!bytes) return;
  FILE *f = fopen(to, "wb");
  CHECK(f != NULL && fwrite(bytes, 1, len, f) == len);
  if (f) fclose(f);
  free(bytes);
}

/* The number of units in a report's `units` whose `GlobalStatus` is `status`. */
static size_t count_status(const jval *report, const char *status) {
  size_t n = 0;
  const jval *units = json_get(report, "units");
  for (size_t i = 0; units && i < units->count; i++)
    if (!strcmp(json_str(json_get(json_at(units, i), "GlobalStatus")), status)) n++;
  return n;
}

/* examples/referentials' agencies, rules and ingest contracts, with two access contracts:
 * AC-DEMO (read only) and AC-ELIM (writing permission), in the folder `name` of tmp. */
static void writing_refs(char *refs, size_t len, const char *name) {
  char file[320];
  path_in_tmp(refs, len, name);
  CHECK(mkdir(refs, 0700) == 0);
  const char *copied[] = {"agencies.csv", "rules.csv", "ingest-contracts.json"};
  for (size_t i = 0; i < 3; i++) {
    char from[256];
    snprintf(from, sizeof from, REFS "/%s", copied[i]);
    snprintf(file, sizeof file, "%s/%s", refs, copied[i]);
    copy_file(from, file);
  }
  snprintf(file, sizeof file, "%s/access-contracts.json", refs);
  write_text(file,
             "[{\"Identifier\":\"AC-DEMO\",\"Name\":\"Lecture\",\"Status\":\"ACTIVE\","
             "\"EveryOriginatingAgency\":true,\"EveryDataObjectVersion\":true,\"WritingPermission\":false},"
             "{\"Identifier\":\"AC-ELIM\",\"Name\":\"Elimination\",\"Status\":\"ACTIVE\","
             "\"EveryOriginatingAgency\":true,\"EveryDataObjectVersion\":true,\"WritingPermission\":true}]");
}

/* Elimination of the sample SIP, whose dossier is kept 10 years from 2025-03-03 then
 * destroyed (its two items inherit the rule): the analysis before and after that date, the
 * refusal without writing permission, the action, then verify and rebuild. */
static void test_eliminate(void) {
  char refs[256], dir[256], sip[256];
  writing_refs(refs, sizeof refs, "refs-elim");
  path_in_tmp(dir, sizeof dir, "archive-elim");
  path_in_tmp(sip, sizeof sip, "sample.zip");
  vas_archive_init_options init = VAS_ARCHIVE_INIT_OPTIONS_INIT;
  init.referentials = refs;
  vas_archive *a = NULL;
  CHECK_OK(vas_archive_create(dir, &init, &a));
  if (!a) return;
  bool accepted = false;
  CHECK_OK(vas_archive_ingest(a, sip, NULL, &accepted, NULL, NULL));
  CHECK(accepted);
  const char *all = "{\"$query\": {}}";

  vas_bytes *out = NULL;
  CHECK_OK(vas_archive_eliminate_json(a, "AC-DEMO", all, "2030-01-01", true, &out));
  jval *r = parse_bytes(out);
  vas_bytes_free(out);
  CHECK(r && json_get(r, "operation_id") && json_get(r, "operation_id")->t == J_NULL);
  CHECK(count_status(r, "KEEP") == 3);
  json_free(r);

  out = NULL;
  CHECK_OK(vas_archive_eliminate_json(a, "AC-DEMO", all, "2036-01-01", true, &out));
  r = parse_bytes(out);
  vas_bytes_free(out);
  CHECK(count_status(r, "DESTROY") == 3);
  CHECK(r && json_get(r, "eliminated_units") && json_get(r, "eliminated_units")->count == 3);
  json_free(r);

  /* No writing permission: refused, out-param untouched. */
  out = (vas_bytes *)0x1;
  CHECK_RESULT(vas_archive_eliminate_json(a, "AC-DEMO", all, "2036-01-01", false, &out), VAS_RESULT_DENIED);
  CHECK(out == (vas_bytes *)0x1);
  CHECK_RESULT(vas_archive_eliminate_json(a, "AC-ELIM", all, "2036-02-30", false, &out), VAS_RESULT_INVALID_INPUT);
  CHECK_RESULT(vas_archive_eliminate_json(a, "AC-ELIM", "{not json", NULL, false, &out), VAS_RESULT_INVALID_INPUT);
  CHECK_RESULT(vas_archive_eliminate_json(a, "AC-ELIM", all, NULL, false, NULL), VAS_RESULT_NULL_PARAMETER);

  out = NULL;
  CHECK_OK(vas_archive_eliminate_json(a, "AC-ELIM", all, "2036-01-01", false, &out));
  r = parse_bytes(out);
  vas_bytes_free(out);
  CHECK(r && json_str(json_get(r, "operation_id")) != NULL);
  CHECK(r && json_get(r, "eliminated_units") && json_get(r, "eliminated_units")->count == 3);
  CHECK(r && json_num(json_get(r, "deleted_objects"), -1) == 3);
  json_free(r);
  out = NULL;
  CHECK_OK(vas_archive_search_json(a, "AC-DEMO", all, &out));
  r = parse_bytes(out);
  vas_bytes_free(out);
  CHECK(r && json_num(json_get(json_get(r, "$hits"), "total"), -1) == 0);
  json_free(r);
  bool ok = false;
  CHECK_OK(vas_archive_verify(a, &ok, NULL));
  CHECK(ok);
  out = NULL;
  CHECK_OK(vas_archive_rebuild(a, &out));
  r = parse_bytes(out);
  vas_bytes_free(out);
  CHECK(r && json_num(json_get(r, "units"), -1) == 0);
  json_free(r);
  vas_archive_free(a);
}

/* The system id of the one unit titled `title` (via search), copied into `id`. */
static void unit_id_by_title(vas_archive *a, const char *title, char *id, size_t len) {
  char q[256];
  snprintf(q, sizeof q, "{\"$query\": {\"$eq\": {\"Title\": \"%s\"}}}", title);
  vas_bytes *out = NULL;
  id[0] = '\0';
  CHECK_OK(vas_archive_search_json(a, "AC-DEMO", q, &out));
  jval *r = parse_bytes(out);
  vas_bytes_free(out);
  const jval *results = json_get(r, "$results");
  CHECK(results && results->count == 1);
  const char *s = json_str(json_get(json_at(results, 0), "#id"));
  if (s) snprintf(id, len, "%s", s);
  json_free(r);
}

/* The `params` of the entry of `list` (a report's `units` or `objectGroups`) whose `id` is
 * `id`, or NULL. */
static const jval *report_entry(const jval *list, const char *id) {
  for (size_t i = 0; list && i < list->count; i++) {
    const char *e = json_str(json_get(json_at(list, i), "id"));
    if (e && !strcmp(e, id)) return json_get(json_at(list, i), "params");
  }
  return NULL;
}

/* The elimination report of a partial elimination of the sample SIP at 2036-01-01: the
 * dossier and its procès-verbal are selected; the procès-verbal is deleted, the dossier
 * kept for its other child (the note): NON_DESTROYABLE_HAS_CHILD_UNITS. The report read
 * back from the offers must say so and agree with what the elimination returned; an
 * unknown operation is VAS_RESULT_NOT_FOUND with the out-param untouched. */
static void test_elimination_report(void) {
  char refs[256], dir[256], sip[256], dossier[64], pv[64], note[64];
  writing_refs(refs, sizeof refs, "refs-report");
  path_in_tmp(dir, sizeof dir, "archive-report");
  path_in_tmp(sip, sizeof sip, "sample.zip");
  vas_archive_init_options init = VAS_ARCHIVE_INIT_OPTIONS_INIT;
  init.referentials = refs;
  vas_archive *a = NULL;
  CHECK_OK(vas_archive_create(dir, &init, &a));
  if (!a) return;
  bool accepted = false;
  CHECK_OK(vas_archive_ingest(a, sip, NULL, &accepted, NULL, NULL));
  CHECK(accepted);
  unit_id_by_title(a, "Dossier budget 2025", dossier, sizeof dossier);
  unit_id_by_title(a, "Procès-verbal", pv, sizeof pv);
  unit_id_by_title(a, "Note", note, sizeof note);

  char q[512];
  snprintf(q, sizeof q, "{\"$query\": {\"$in\": {\"#id\": [\"%s\", \"%s\"]}}}", dossier, pv);
  vas_bytes *out = NULL;
  CHECK_OK(vas_archive_eliminate_json(a, "AC-ELIM", q, "2036-01-01", false, &out));
  jval *done = parse_bytes(out);
  vas_bytes_free(out);
  const char *op = json_str(json_get(done, "operation_id"));
  const jval *eliminated = json_get(done, "eliminated_units");
  CHECK(op != NULL);
  CHECK(eliminated && eliminated->count == 1 && !strcmp(json_str(json_at(eliminated, 0)), pv));
  const jval *groups = json_get(done, "eliminated_object_groups");
  CHECK(groups && groups->count == 1);

  out = NULL;
  CHECK_OK(vas_archive_elimination_report_json(a, op ? op : "", &out));
  CHECK(out && strlen(vas_bytes_str(out)) == vas_bytes_len(out)); /* a C string */
  jval *rep = parse_bytes(out);
  vas_bytes_free(out);
  CHECK(rep != NULL);
  const jval *summary = json_get(rep, "operationSummary");
  CHECK(op && json_str(json_get(summary, "evId")) && !strcmp(json_str(json_get(summary, "evId")), op));
  CHECK(json_str(json_get(summary, "evType")) && !strcmp(json_str(json_get(summary, "evType")), "ELIMINATION_ACTION"));
  const jval *units = json_get(rep, "units");
  CHECK(units && units->count == 2);
  const jval *p = report_entry(units, pv);
  CHECK(p && !strcmp(json_str(json_get(p, "status")), "DELETED"));
  CHECK(p && !strcmp(json_str(json_get(p, "globalStatus")), "DESTROY"));
  CHECK(p && json_get(p, "reasons") && json_get(p, "reasons")->count == 0);
  const char *pv_group = json_str(json_get(p, "objectGroupId"));
  CHECK(pv_group && groups && !strcmp(pv_group, json_str(json_at(groups, 0))));
  const jval *d = report_entry(units, dossier);
  CHECK(d && !strcmp(json_str(json_get(d, "status")), "NON_DESTROYABLE_HAS_CHILD_UNITS"));
  CHECK(d && !strcmp(json_str(json_get(d, "globalStatus")), "DESTROY"));
  CHECK(report_entry(units, note) == NULL);
  const jval *og = json_get(rep, "objectGroups");
  CHECK(og && og->count == 1);
  const jval *g = pv_group ? report_entry(og, pv_group) : NULL;
  CHECK(g && !strcmp(json_str(json_get(g, "status")), "DELETED"));
  /* The procès-verbal's two objects are gone, and the report counts them as eliminate did. */
  CHECK(json_num(json_get(json_get(json_get(rep, "reportSummary"), "extendedInfo"), "deletedObjects"), -1) ==
        json_num(json_get(done, "deleted_objects"), -2));
  CHECK(json_num(json_get(done, "deleted_objects"), -1) == 2);
  json_free(rep);
  json_free(done);

  /* Errors: unknown operation (out-param untouched), NULLs. */
  out = (vas_bytes *)0x1;
  CHECK_RESULT(vas_archive_elimination_report_json(a, "aeeaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &out), VAS_RESULT_NOT_FOUND);
  CHECK(out == (vas_bytes *)0x1);
  CHECK_RESULT(vas_archive_elimination_report_json(a, NULL, &out), VAS_RESULT_NULL_PARAMETER);
  CHECK_RESULT(vas_archive_elimination_report_json(a, "x", NULL), VAS_RESULT_NULL_PARAMETER);
  CHECK_RESULT(vas_archive_elimination_report_json(NULL, "x", &out), VAS_RESULT_NULL_PARAMETER);
  CHECK(out == (vas_bytes *)0x1);
  /* The ingest operation has no report: VAS_RESULT_NOT_FOUND too. */
  out = NULL;
  CHECK_OK(vas_archive_operations_json(a, &out));
  jval *ops = parse_bytes(out);
  vas_bytes_free(out);
  const char *ingest_op = json_str(json_get(json_at(ops, 0), "evId"));
  CHECK(ingest_op && json_str(json_get(json_at(ops, 0), "evType")) &&
        !strcmp(json_str(json_get(json_at(ops, 0), "evType")), "PROCESS_SIP_UNITARY"));
  out = (vas_bytes *)0x1;
  if (ingest_op) {
    CHECK_RESULT(vas_archive_elimination_report_json(a, ingest_op, &out), VAS_RESULT_NOT_FOUND);
    CHECK(last_message_has("has no report"));
  }
  CHECK(out == (vas_bytes *)0x1);
  json_free(ops);
  vas_archive_free(a);
}

int main(void) {
  snprintf(tmp, sizeof tmp, "/tmp/vas-c-api-XXXXXX");
  if (!mkdtemp(tmp)) return 2;
  test_builder_errors();
  test_build_and_inspect();
  test_folder_and_csv();
  test_dry_run_and_rules();
  test_archive();
  test_eliminate();
  test_elimination_report();
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp);
  printf("api: %d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
