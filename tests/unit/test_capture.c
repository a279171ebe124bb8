// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Capture format: header codec, record sizes, write/read round trip. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "capture.h"
#include "logread.h"

static void test_record_sizes(void **state)
{
	for (int t = 1; t < SMMU_EV_MAX; t++) {
		size_t n = smmu_event_size(t);

		if ((t > SMMU_EV_HOST && t < SMMU_EV_ISSUE))
			assert_int_equal(n, 0);
		else
			assert_true(n >= sizeof(struct smmu_ev_hdr) &&
				    n <= sizeof(struct smmu_event));
	}
	assert_int_equal(smmu_event_size(0), 0);
	assert_int_equal(smmu_event_size(SMMU_EV_TICK), sizeof(struct smmu_ev_hdr));
	assert_int_equal(smmu_event_size(SMMU_EV_ISSUE),
			 sizeof(struct smmu_ev_hdr) + sizeof(struct smmu_ev_issue));
}

static void test_header_round_trip(void **state)
{
	struct capture_meta *m = calloc(1, sizeof(*m)), *back = calloc(1, sizeof(*back));
	char err[128], *buf;
	size_t len;

	strcpy(m->tool, "smmutrace 0.1.0");
	strcpy(m->host, "gpu-node-\"7\"");
	strcpy(m->kernel, "6.12.95+deb12-arm64");
	strcpy(m->arch, "arm64");
	strcpy(m->source, "live");
	strcpy(m->features, "{\"kprobes\":true,\"atc_sync_timeouts\":false}");
	m->created_wall_ns = 1779185472123456789LL;
	m->n_smmus = 1;
	strcpy(m->smmus[0].name, "arm-smmu-v3.0.auto");
	m->smmus[0].max_n_shift = 19;
	m->n_sids = 1;
	strcpy(m->sids[0].smmu, "arm-smmu-v3.0.auto");
	strcpy(m->sids[0].dev, "0000:01:00.0");
	m->sids[0].sid = 0x100;
	assert_int_equal(capture_encode_header(m, &buf, &len), 0);
	assert_int_equal(capture_decode_header(buf, len, back, err, sizeof(err)), 0);
	assert_string_equal(back->host, m->host);
	assert_string_equal(back->kernel, m->kernel);
	assert_string_equal(back->features, "{\"atc_sync_timeouts\":false,\"kprobes\":true}");
	assert_int_equal(back->created_wall_ns, m->created_wall_ns);
	assert_int_equal(back->smmus[0].max_n_shift, 19);
	assert_string_equal(back->sids[0].dev, "0000:01:00.0");
	assert_int_equal(back->sids[0].sid, 0x100);
	assert_int_not_equal(capture_decode_header("{\"endian\":\"big\"}", 16, back, err,
						   sizeof(err)), 0);
	assert_non_null(strstr(err, "big-endian"));
	assert_int_not_equal(capture_decode_header("[1,2]", 5, back, err, sizeof(err)), 0);
	free(buf);
	free(m);
	free(back);
}

static void test_file_round_trip(void **state)
{
	char path[] = "/tmp/smmutrace-test-XXXXXX";
	struct capture_meta *m = calloc(1, sizeof(*m));
	struct capture_writer *w;
	struct smmu_event ev, in_ev;
	struct input in;
	char err[256];
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	/* the file exists: refused without force, accepted with it */
	assert_null(capture_create(path, false, m, err, sizeof(err)));
	assert_non_null(strstr(err, "--force"));
	w = capture_create(path, true, m, err, sizeof(err));
	assert_non_null(w);
	memset(&ev, 0, sizeof(ev));
	ev.hdr.type = SMMU_EV_ISSUE;
	ev.hdr.mono_ns = 42;
	strcpy(ev.hdr.smmu, "s0");
	ev.issue.ret = -110;
	ev.issue.n_atc_rec = 1;
	ev.issue.atc[0].sid = 0x77;
	strcpy(ev.issue.comm, "kworker/0:1");
	assert_int_equal(capture_write(w, &ev), 0);
	memset(&ev, 0, sizeof(ev));
	ev.hdr.type = SMMU_EV_TICK;
	ev.hdr.mono_ns = 43;
	assert_int_equal(capture_write(w, &ev), 0);
	ev.hdr.type = 999;
	assert_int_not_equal(capture_write(w, &ev), 0);
	assert_int_equal(capture_records(w), 2);
	assert_int_equal(capture_close(w, err, sizeof(err)), 0);

	assert_int_equal(input_open(&in, path), 0);
	assert_int_equal(capture_read_header(&in, m, err, sizeof(err)), 0);
	assert_int_equal(capture_next(&in, &in_ev, err, sizeof(err)), CAP_OK);
	assert_int_equal(in_ev.hdr.type, SMMU_EV_ISSUE);
	assert_int_equal(in_ev.issue.ret, -110);
	assert_int_equal(in_ev.issue.atc[0].sid, 0x77);
	assert_string_equal(in_ev.issue.comm, "kworker/0:1");
	assert_string_equal(in_ev.hdr.smmu, "s0");
	assert_int_equal(capture_next(&in, &in_ev, err, sizeof(err)), CAP_OK);
	assert_int_equal(in_ev.hdr.type, SMMU_EV_TICK);
	assert_int_equal(in_ev.hdr.mono_ns, 43);
	assert_int_equal(capture_next(&in, &in_ev, err, sizeof(err)), CAP_END);
	input_close(&in);
	unlink(path);
	free(m);
}

/* a full disk, by file-size limit: the first error sticks and close reports it */
static void test_write_error_sticks(void **state)
{
	char path[] = "/tmp/smmutrace-test-XXXXXX";
	struct capture_meta *m = malloc(sizeof(*m));
	struct capture_writer *w;
	struct smmu_event ev;
	struct rlimit old, lim;
	struct stat st;
	char err[256];
	int fd = mkstemp(path), ret = 0;

	assert_true(fd >= 0);
	close(fd);
	capture_meta_init(m, "smmutrace test", "unit");
	assert_string_equal(m->source, "unit");
	assert_true(m->created_wall_ns > 0);
	w = capture_create(path, true, m, err, sizeof(err));
	assert_non_null(w);
	assert_int_equal(capture_error(w), 0);
	assert_int_equal(stat(path, &st), 0);
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = st.st_size + 4096;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	memset(&ev, 0, sizeof(ev));
	ev.hdr.type = SMMU_EV_ISSUE;
	for (int i = 0; i < 100000 && !ret; i++) {
		ev.hdr.mono_ns = i * 7919ULL;	/* incompressible enough */
		ev.issue.duration_ns = i * 104729ULL;
		ret = capture_write(w, &ev);
	}
	/* EFBIG from a write, or EIO from the gzip flush that hit the limit */
	assert_true(ret == -EFBIG || ret == -EIO);
	assert_int_equal(capture_error(w), ret);
	assert_int_equal(capture_write(w, &ev), ret);
	assert_int_equal(capture_flush(w), ret);
	assert_int_not_equal(capture_close(w, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "could not finish the capture"));
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_DFL);
	unlink(path);
	free(m);
}

/* rm -r of the capture's directory mid-run: noticed at the next flush, and it sticks */
static void test_deleted_directory(void **state)
{
	char dir[] = "/tmp/smmutrace-test-XXXXXX", path[64];
	struct capture_meta *m = calloc(1, sizeof(*m));
	struct capture_writer *w;
	struct smmu_event ev;
	char err[400];

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/run.cap", dir);
	w = capture_create(path, false, m, err, sizeof(err));
	assert_non_null(w);
	memset(&ev, 0, sizeof(ev));
	ev.hdr.type = SMMU_EV_TICK;
	assert_int_equal(capture_write(w, &ev), 0);
	assert_int_equal(capture_flush(w), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
	assert_int_equal(capture_flush(w), -ENOENT);
	assert_non_null(strstr(capture_errmsg(w), "its directory"));
	assert_non_null(strstr(capture_errmsg(w), "was deleted"));
	assert_int_equal(capture_write(w, &ev), -ENOENT);
	assert_int_not_equal(capture_close(w, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "was deleted"));
	free(m);
}

/* rotation: each file names its set and place, and starts with the state so far */
static void test_rotation_headers(void **state)
{
	char dir[] = "/tmp/smmutrace-test-XXXXXX", path[64], name[80];
	struct capture_meta *m = calloc(1, sizeof(*m)), *h = calloc(1, sizeof(*h));
	struct capture_writer *w;
	struct smmu_event ev, in_ev;
	char err[400], set[33] = "";
	uint32_t seq, kept[2], n_kept = 0;
	struct input in;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/r.cap", dir);
	w = capture_create(path, false, m, err, sizeof(err));
	assert_non_null(w);
	assert_int_equal(capture_set_rotation(w, 1024, 2, err, sizeof(err)), 0);
	memset(&ev, 0, sizeof(ev));
	ev.hdr.type = SMMU_EV_QUEUE_INFO;
	strcpy(ev.hdr.smmu, "s0");
	ev.queue_info.max_n_shift = 16;
	assert_int_equal(capture_write(w, &ev), 0);
	ev.hdr.type = SMMU_EV_ISSUE;
	for (int i = 0; i < 3000; i++) {
		ev.hdr.mono_ns = i * 7919ULL;
		assert_int_equal(capture_write(w, &ev), 0);
	}
	assert_int_equal(capture_flush(w), 0);
	assert_int_equal(capture_close(w, err, sizeof(err)), 0);
	/* a ring of two: r.cap and r.cap.1 are gone, the newest two remain */
	/* a ring of two: only the newest two files remain */
	assert_int_equal(access(path, F_OK), -1);
	for (seq = 1; seq < 1000; seq++) {
		snprintf(name, sizeof(name), "%s.%u", path, seq);
		if (access(name, F_OK))
			continue;
		assert_int_equal(input_open(&in, name), 0);
		assert_int_equal(capture_read_header(&in, h, err, sizeof(err)), 0);
		assert_int_equal(h->seq, seq);
		assert_int_equal(strlen(h->set), 32);
		if (set[0])
			assert_string_equal(h->set, set);
		strcpy(set, h->set);
		assert_int_equal(capture_next(&in, &in_ev, err, sizeof(err)), CAP_OK);
		assert_int_equal(in_ev.hdr.type, SMMU_EV_QUEUE_INFO);
		assert_true(in_ev.hdr.flags & SMMU_EVF_CARRIED);
		assert_int_equal(in_ev.queue_info.max_n_shift, 16);
		input_close(&in);
		unlink(name);
		assert_true(n_kept < 2);
		kept[n_kept++] = seq;
	}
	assert_int_equal(n_kept, 2);
	assert_int_equal(kept[1], kept[0] + 1);
	assert_true(kept[0] >= 2);
	assert_int_equal(rmdir(dir), 0);
	free(m);
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_sizes),
		cmocka_unit_test(test_header_round_trip),
		cmocka_unit_test(test_file_round_trip),
		cmocka_unit_test(test_write_error_sticks),
		cmocka_unit_test(test_deleted_directory),
		cmocka_unit_test(test_rotation_headers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
