/*
 * cyrus_layer: a DIGEST-MD5 server or client on Cyrus libsasl2 that, once
 * authenticated, exchanges protected messages, which Cyrus's sample
 * programs do not. Test-only; built by interop_sasl_test.go when gcc and
 * libsasl2.so.2 are present. The headers (libsasl2-dev) may be missing, so
 * the few declarations needed are written out from the documented API.
 *
 * Lines: "S: base64" server to client, "C: base64" client to server,
 * "P: base64" a decoded plaintext, "E: text" an error.
 * Usage: cyrus_layer server|client MINSSF MAXSSF MESSAGE
 * The client authenticates as chris in test.realm with password "secret".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sasl_conn sasl_conn_t;
typedef struct {
	unsigned min_ssf, max_ssf, maxbufsize, security_flags;
	const char **property_names, **property_values;
} secprops_t;
typedef struct {
	unsigned long id;
	int (*proc)(void);
	void *context;
} callback_t;
typedef struct {
	unsigned long len;
	unsigned char data[1];
} secret_t;
enum { SASL_OK = 0, SASL_CONTINUE = 1, SASL_SSF = 1, SASL_SEC_PROPS = 101 };
enum { CB_LIST_END = 0, CB_USER = 0x4001, CB_AUTHNAME = 0x4002, CB_PASS = 0x4004, CB_GETREALM = 0x4008 };

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
int sasl_client_init(const callback_t *callbacks);
int sasl_client_new(const char *service, const char *fqdn, const char *iplocal, const char *ipremote,
		    const callback_t *callbacks, unsigned flags, sasl_conn_t **conn);
int sasl_client_start(sasl_conn_t *conn, const char *mechlist, void **prompts, const char **out,
		      unsigned *outlen, const char **mech);
int sasl_client_step(sasl_conn_t *conn, const char *in, unsigned inlen, void **prompts, const char **out,
		     unsigned *outlen);

static const char *peer_tag = "C: ";

static int simple(void *ctx, int id, const char **result, unsigned *len)
{
	(void)ctx;
	*result = id == CB_AUTHNAME ? "chris" : "";
	if (len)
		*len = strlen(*result);
	return SASL_OK;
}

static int getsecret(sasl_conn_t *conn, void *ctx, int id, secret_t **psecret)
{
	static struct {
		unsigned long len;
		unsigned char data[8];
	} secret = {6, "secret"};
	(void)conn, (void)ctx, (void)id;
	*psecret = (secret_t *)&secret;
	return SASL_OK;
}

static int getrealm(void *ctx, int id, const char **avail, const char **result)
{
	(void)ctx, (void)id, (void)avail;
	*result = "test.realm";
	return SASL_OK;
}

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
	if (!fgets(line, sizeof line, stdin) || strncmp(line, peer_tag, 3) != 0) {
		printf("E: expected a %s line\n", peer_tag);
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
	static const callback_t callbacks[] = {
		{CB_AUTHNAME, (int (*)(void))simple, NULL},
		{CB_USER, (int (*)(void))simple, NULL},
		{CB_PASS, (int (*)(void))getsecret, NULL},
		{CB_GETREALM, (int (*)(void))getrealm, NULL},
		{CB_LIST_END, NULL, NULL},
	};
	sasl_conn_t *conn = NULL;
	secprops_t props = {0};
	const char *out, *mech, *tag = "S";
	const unsigned *ssf;
	unsigned outlen, n;
	int r, i, server;

	if (argc != 5)
		return 2;
	server = strcmp(argv[1], "server") == 0;
	props.min_ssf = atoi(argv[2]);
	props.max_ssf = atoi(argv[3]);
	props.maxbufsize = 65536;
	if (server) {
		check(NULL, sasl_server_init(NULL, "sample"), "init");
		check(NULL, sasl_server_new("imap", "localhost", "test.realm", NULL, NULL, NULL, 0, &conn), "new");
		check(conn, sasl_setprop(conn, SASL_SEC_PROPS, &props), "secprops");
		r = sasl_server_start(conn, "DIGEST-MD5", NULL, 0, &out, &outlen);
		check(conn, r, "start");
		while (r == SASL_CONTINUE) {
			emit(tag, out, outlen);
			n = receive();
			r = sasl_server_step(conn, buf, n, &out, &outlen);
			check(conn, r, "step");
		}
	} else {
		tag = "C";
		peer_tag = "S: ";
		check(NULL, sasl_client_init(callbacks), "init");
		check(NULL, sasl_client_new("imap", "localhost", NULL, NULL, callbacks, 0, &conn), "new");
		check(conn, sasl_setprop(conn, SASL_SEC_PROPS, &props), "secprops");
		r = sasl_client_start(conn, "DIGEST-MD5", NULL, &out, &outlen, &mech);
		check(conn, r, "start");
		while (r == SASL_CONTINUE) {
			n = receive();
			r = sasl_client_step(conn, buf, n, NULL, &out, &outlen);
			check(conn, r, "step");
			if (r == SASL_CONTINUE)
				emit(tag, out ? out : "", out ? outlen : 0);
		}
	}
	check(conn, sasl_getprop(conn, SASL_SSF, (const void **)&ssf), "ssf");
	printf("SSF: %u\n", *ssf);
	for (i = 0; i < 2; i++) {
		/* sasl_encode output starts with the 4-byte length of RFC 2831. */
		check(conn, sasl_encode(conn, argv[4], strlen(argv[4]), &out, &outlen), "encode");
		emit(tag, out, outlen);
	}
	for (i = 0; i < 2; i++) {
		n = receive();
		check(conn, sasl_decode(conn, buf, n, &out, &outlen), "decode");
		emit("P", out, outlen);
	}
	return 0;
}
