// Package files reads and writes the files MIT Kerberos keeps on disk, so
// that our client and acceptor share them with kinit, klist, ktutil and
// every MIT-linked program:
//
//   - keytabs (FILE: type, format 0x502), read and written;
//   - credential caches (FILE: type, formats 0x503 and 0x504 read, 0x504
//     written), configuration entries included;
//   - krb5.conf: libdefaults (default_realm, the enctype lists,
//     dns_lookup_kdc, udp_preference_limit, default_ccache_name,
//     default_keytab_name), each realm's kdc list and domain_realm;
//   - the environment variables KRB5_CONFIG, KRB5CCNAME and KRB5_KTNAME,
//     honoured as MIT honours them.
//
// It does not implement the other cache and keytab types (DIR:, KEYRING:,
// KCM:, MEMORY:, API:), which it reports as unsupported; the version 1 and
// 2 formats in native byte order, which no MIT release since 1.0 writes;
// file locking beyond an atomic rename on write; DNS SRV lookups (the
// transport does those when dns_lookup_kdc is on); or profile "include"
// and "includedir" directives, which are reported as errors rather than
// silently skipped.
//
// Every parser takes the file's bytes, caps what the file can make it
// allocate, and fails with *Error, never a panic.
package files
