/*
 * cyrus_layer: a DIGEST-MD5 server on Cyrus libsasl2 that, once the client
 * is authenticated, exchanges protected messages, which Cyrus's sample
 * programs do not. Test-only; built by interop_sasl_test.go when gcc and
 * libsasl2.so.2 are present. The headers (libsasl2-dev) may be missing, so
 * the few declarations needed are written out from the documented API.
 *
 * Lines: "S: base64" server to client, "C: base64" client to server,
 * "P: base64" a decoded plaintext, "E: text" an error.
 * Usage: cyrus_layer MINSSF MAXSSF MESSAGE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sasl_conn sasl_conn_t;
typedef struct {
	unsigned min_ssf, max_ssf, maxbufsize, security_flags;
	const char **property_names, **property_values;
} secprops_t;
enum { SASL_OK = 0, SASL_CONTINUE = 1, SASL_SSF = 1, SASL_SEC_PROPS = 101 };

int sasl_server_init(const void *callbacks, const char *appname);
int sasl_server_new(const char *service, const char *fqdn, const char *realm, const char *iplocal,
		    const char *ipremote, const void *callbacks, unsigned flags, sasl_conn_t **conn);
int sasl_setprop(sasl_conn_t *conn, int propnum, const void *value);
int sasl_getprop(sasl_conn_t *conn, int propnum, const void **value);
int sasl_server_start(sasl_conn_t *conn, const char *mech, const char *in, unsigned inlen,
		      const char **out, unsigned *outlen);
int sasl_server_step(sasl_conn_t *conn, const char *in, unsigned inlen, const char **out, unsigned *outlen);
int sasl_encode(sasl_conn_t *conn, const char *in, unsigned inlen, const char **out, unsigned *outlen);
int sasl_decode(sasl_conn_t *conn, const char *in, unsigned inlen, const char **out, unsigned *outlen);
int sasl_encode64(const char *in, unsigned inlen, char *out, unsigned outmax, unsigned *outlen);
int sasl_decode64(const char *in, unsigned inlen, char *out, unsigned outmax, unsigned *outlen);
const char *sasl_errdetail(sasl_conn_t *conn);

static char line[70000], buf[50000], enc[70000];

static void emit(const char *tag, const char *data, unsigned len)
{
	unsigned n;
	if (sasl_encode64(data, len, enc, sizeof enc, &n) != SASL_OK) {
		printf("E: encode64\n");
		exit(1);
	}
	printf("%s: %.*s\n", tag, (int)n, enc);
	fflush(stdout);
}

static unsigned receive(void)
{
	unsigned n = 0;
	size_t l;
	if (!fgets(line, sizeof line, stdin) || strncmp(line, "C: ", 3) != 0) {
		printf("E: expected a C: line\n");
		exit(1);
	}
	l = strcspn(line + 3, "\r\n");
	if (l > 0 && sasl_decode64(line + 3, l, buf, sizeof buf, &n) != SASL_OK) {
		printf("E: decode64\n");
		exit(1);
	}
	return n;
}

static void check(sasl_conn_t *conn, int r, const char *what)
{
	if (r != SASL_OK && r != SASL_CONTINUE) {
		printf("E: %s: %d %s\n", what, r, conn ? sasl_errdetail(conn) : "");
		exit(1);
	}
}

int main(int argc, char **argv)
{
	sasl_conn_t *conn = NULL;
	secprops_t props = {0};
	const char *out;
	const unsigned *ssf;
	unsigned outlen, n;
	int r, i;

	if (argc != 4)
		return 2;
	props.min_ssf = atoi(argv[1]);
	props.max_ssf = atoi(argv[2]);
	props.maxbufsize = 65536;
	check(NULL, sasl_server_init(NULL, "sample"), "init");
	check(NULL, sasl_server_new("imap", "localhost", "test.realm", NULL, NULL, NULL, 0, &conn), "new");
	check(conn, sasl_setprop(conn, SASL_SEC_PROPS, &props), "secprops");
	r = sasl_server_start(conn, "DIGEST-MD5", NULL, 0, &out, &outlen);
	check(conn, r, "start");
	while (r == SASL_CONTINUE) {
		emit("S", out, outlen);
		n = receive();
		r = sasl_server_step(conn, buf, n, &out, &outlen);
		check(conn, r, "step");
	}
	check(conn, sasl_getprop(conn, SASL_SSF, (const void **)&ssf), "ssf");
	printf("SSF: %u\n", *ssf);
	for (i = 0; i < 2; i++) {
		/* sasl_encode output starts with the 4-byte length of RFC 2831. */
		check(conn, sasl_encode(conn, argv[3], strlen(argv[3]), &out, &outlen), "encode");
		emit("S", out, outlen);
	}
	for (i = 0; i < 2; i++) {
		n = receive();
		check(conn, sasl_decode(conn, buf, n, &out, &outlen), "decode");
		emit("P", out, outlen);
	}
	return 0;
}
