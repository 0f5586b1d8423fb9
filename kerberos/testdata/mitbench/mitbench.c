/*
 * mitbench measures, in one process, the GSS-API work that this module's
 * Kerberos benchmarks (kerberos/bench_test.go) measure, done by MIT krb5's
 * libgssapi_krb5, so that `go test -bench` can print both side by side.
 * BenchmarkEstablish, BenchmarkWrapUnwrap and BenchmarkMIC compile it
 * with gcc and krb5-config and run it against a throwaway MIT realm.
 *
 *   mitbench OP N SIZE SERVICE
 *
 * OP is establish, wrap or mic; N the iterations timed; SIZE the message
 * bytes for wrap and mic; SERVICE the GSS host-based name of the target
 * (service@localhost), whose keytab KRB5_KTNAME names. The client's TGT
 * is in KRB5CCNAME; it is copied into a MEMORY ccache so that, as in the
 * Go benchmarks, the cached service ticket is read from memory. Before
 * timing, one context is established (the service ticket is fetched from
 * the KDC and cached). It prints one line:
 *
 *   enctype=E n=N ns_per_op=T cpu_ns_per_op=C token=BYTES
 *
 * T is wall-clock time, C the process's CPU time (CLOCK_PROCESS_CPUTIME_ID),
 * which a busy machine disturbs less.
 * establish: gss_init_sec_context (AP-REQ), gss_accept_sec_context
 * (keytab, AP-REP), gss_init_sec_context (AP-REP), then both contexts
 * deleted, with mutual, replay, sequence, confidentiality and integrity
 * requested (the flags of the Go benchmark).
 * wrap: gss_wrap with confidentiality on the client, gss_unwrap on the
 * server. mic: gss_get_mic on the client, gss_verify_mic on the server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <krb5.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <gssapi/gssapi_ext.h>

static void die(const char *what, OM_uint32 maj, OM_uint32 min)
{
	OM_uint32 m, ctx = 0;
	gss_buffer_desc msg;
	fprintf(stderr, "mitbench: %s:", what);
	do {
		gss_display_status(&m, maj, GSS_C_GSS_CODE, GSS_C_NO_OID, &ctx, &msg);
		fprintf(stderr, " %.*s", (int)msg.length, (char *)msg.value);
		gss_release_buffer(&m, &msg);
	} while (ctx != 0);
	do {
		gss_display_status(&m, min, GSS_C_MECH_CODE, GSS_C_NO_OID, &ctx, &msg);
		fprintf(stderr, "; %.*s", (int)msg.length, (char *)msg.value);
		gss_release_buffer(&m, &msg);
	} while (ctx != 0);
	fprintf(stderr, "\n");
	exit(1);
}

static double clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double now_ns(void) { return clock_ns(CLOCK_MONOTONIC); }
static double cpu_ns(void) { return clock_ns(CLOCK_PROCESS_CPUTIME_ID); }

static gss_cred_id_t client_cred, server_cred;
static gss_name_t target;

static const OM_uint32 req_flags = GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG |
	GSS_C_SEQUENCE_FLAG | GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG;

/* establish makes a context pair with the cached service ticket. */
static void establish(gss_ctx_id_t *cctx, gss_ctx_id_t *sctx, size_t *toklen)
{
	OM_uint32 maj, min;
	gss_buffer_desc apreq = GSS_C_EMPTY_BUFFER, aprep = GSS_C_EMPTY_BUFFER, last = GSS_C_EMPTY_BUFFER;

	*cctx = GSS_C_NO_CONTEXT;
	*sctx = GSS_C_NO_CONTEXT;
	maj = gss_init_sec_context(&min, client_cred, cctx, target, (gss_OID)gss_mech_krb5,
				   req_flags, 0, GSS_C_NO_CHANNEL_BINDINGS, GSS_C_NO_BUFFER,
				   NULL, &apreq, NULL, NULL);
	if (maj != GSS_S_CONTINUE_NEEDED)
		die("gss_init_sec_context", maj, min);
	maj = gss_accept_sec_context(&min, sctx, server_cred, &apreq, GSS_C_NO_CHANNEL_BINDINGS,
				     NULL, NULL, &aprep, NULL, NULL, NULL);
	if (maj != GSS_S_COMPLETE)
		die("gss_accept_sec_context", maj, min);
	maj = gss_init_sec_context(&min, client_cred, cctx, target, (gss_OID)gss_mech_krb5,
				   req_flags, 0, GSS_C_NO_CHANNEL_BINDINGS, &aprep,
				   NULL, &last, NULL, NULL);
	if (maj != GSS_S_COMPLETE)
		die("gss_init_sec_context (AP-REP)", maj, min);
	if (toklen != NULL)
		*toklen = apreq.length;
	gss_release_buffer(&min, &apreq);
	gss_release_buffer(&min, &aprep);
	gss_release_buffer(&min, &last);
}

/* context_enctype is the enctype of the context's key (the acceptor
 * subkey), from the last arc of the OID that GSS_C_INQ_SSPI_SESSION_KEY
 * gives with the key. */
static int context_enctype(gss_ctx_id_t ctx)
{
	OM_uint32 maj, min;
	gss_buffer_set_t set = GSS_C_NO_BUFFER_SET;
	int e = -1;

	maj = gss_inquire_sec_context_by_oid(&min, ctx, GSS_C_INQ_SSPI_SESSION_KEY, &set);
	if (maj != GSS_S_COMPLETE)
		die("gss_inquire_sec_context_by_oid", maj, min);
	if (set->count >= 2 && set->elements[1].length > 0) {
		unsigned char *o = set->elements[1].value;
		size_t n = set->elements[1].length;
		if ((o[n - 1] & 0x80) == 0)
			e = o[n - 1];
	}
	gss_release_buffer_set(&min, &set);
	return e;
}

int main(int argc, char **argv)
{
	OM_uint32 maj, min;
	krb5_context kctx;
	krb5_ccache fcc, mcc;
	krb5_principal me;
	krb5_error_code kret;
	gss_buffer_desc name, msg;
	gss_ctx_id_t cctx, sctx;
	size_t toklen = 0;
	long n, size, i;
	double start, elapsed, cpu_start = 0, cpu = 0;
	int enctype;

	if (argc != 5) {
		fprintf(stderr, "usage: mitbench establish|wrap|mic N SIZE SERVICE@HOST\n");
		return 2;
	}
	n = atol(argv[2]);
	size = atol(argv[3]);
	if (n <= 0 || size < 0) {
		fprintf(stderr, "mitbench: bad N or SIZE\n");
		return 2;
	}

	/* The TGT, copied from the FILE ccache kinit wrote into memory. */
	if ((kret = krb5_init_context(&kctx)) != 0 ||
	    (kret = krb5_cc_default(kctx, &fcc)) != 0 ||
	    (kret = krb5_cc_get_principal(kctx, fcc, &me)) != 0 ||
	    (kret = krb5_cc_resolve(kctx, "MEMORY:mitbench", &mcc)) != 0 ||
	    (kret = krb5_cc_initialize(kctx, mcc, me)) != 0 ||
	    (kret = krb5_cc_copy_creds(kctx, fcc, mcc)) != 0) {
		fprintf(stderr, "mitbench: ccache: %s\n", krb5_get_error_message(kctx, kret));
		return 1;
	}
	maj = gss_krb5_ccache_name(&min, "MEMORY:mitbench", NULL);
	if (maj != GSS_S_COMPLETE)
		die("gss_krb5_ccache_name", maj, min);

	name.value = argv[4];
	name.length = strlen(argv[4]);
	maj = gss_import_name(&min, &name, GSS_C_NT_HOSTBASED_SERVICE, &target);
	if (maj != GSS_S_COMPLETE)
		die("gss_import_name", maj, min);
	maj = gss_acquire_cred(&min, GSS_C_NO_NAME, GSS_C_INDEFINITE, GSS_C_NO_OID_SET,
			       GSS_C_INITIATE, &client_cred, NULL, NULL);
	if (maj != GSS_S_COMPLETE)
		die("gss_acquire_cred (initiate)", maj, min);
	maj = gss_acquire_cred(&min, GSS_C_NO_NAME, GSS_C_INDEFINITE, GSS_C_NO_OID_SET,
			       GSS_C_ACCEPT, &server_cred, NULL, NULL);
	if (maj != GSS_S_COMPLETE)
		die("gss_acquire_cred (accept)", maj, min);

	/* Warm up: fetch and cache the service ticket. */
	establish(&cctx, &sctx, NULL);
	enctype = context_enctype(cctx);

	msg.length = (size_t)size;
	msg.value = calloc(1, msg.length + 1);
	if (msg.value == NULL)
		return 1;

	if (strcmp(argv[1], "establish") == 0) {
		gss_delete_sec_context(&min, &cctx, GSS_C_NO_BUFFER);
		gss_delete_sec_context(&min, &sctx, GSS_C_NO_BUFFER);
		start = now_ns();
		cpu_start = cpu_ns();
		for (i = 0; i < n; i++) {
			establish(&cctx, &sctx, &toklen);
			gss_delete_sec_context(&min, &cctx, GSS_C_NO_BUFFER);
			gss_delete_sec_context(&min, &sctx, GSS_C_NO_BUFFER);
		}
		elapsed = now_ns() - start;
		cpu = cpu_ns() - cpu_start;
	} else if (strcmp(argv[1], "wrap") == 0) {
		start = now_ns();
		cpu_start = cpu_ns();
		for (i = 0; i < n; i++) {
			gss_buffer_desc tok, out;
			int conf = 0;
			maj = gss_wrap(&min, cctx, 1, GSS_C_QOP_DEFAULT, &msg, &conf, &tok);
			if (maj != GSS_S_COMPLETE || !conf)
				die("gss_wrap", maj, min);
			maj = gss_unwrap(&min, sctx, &tok, &out, &conf, NULL);
			if (maj != GSS_S_COMPLETE || out.length != msg.length)
				die("gss_unwrap", maj, min);
			toklen = tok.length;
			gss_release_buffer(&min, &tok);
			gss_release_buffer(&min, &out);
		}
		elapsed = now_ns() - start;
		cpu = cpu_ns() - cpu_start;
	} else if (strcmp(argv[1], "mic") == 0) {
		start = now_ns();
		cpu_start = cpu_ns();
		for (i = 0; i < n; i++) {
			gss_buffer_desc tok;
			maj = gss_get_mic(&min, cctx, GSS_C_QOP_DEFAULT, &msg, &tok);
			if (maj != GSS_S_COMPLETE)
				die("gss_get_mic", maj, min);
			maj = gss_verify_mic(&min, sctx, &msg, &tok, NULL);
			if (maj != GSS_S_COMPLETE)
				die("gss_verify_mic", maj, min);
			toklen = tok.length;
			gss_release_buffer(&min, &tok);
		}
		elapsed = now_ns() - start;
		cpu = cpu_ns() - cpu_start;
	} else {
		fprintf(stderr, "mitbench: unknown operation %s\n", argv[1]);
		return 2;
	}
	printf("enctype=%d n=%ld ns_per_op=%.1f cpu_ns_per_op=%.1f token=%zu\n", enctype, n,
	       elapsed / (double)n, cpu / (double)n, toklen);
	return 0;
}
