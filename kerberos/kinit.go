package kerberos

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"time"

	"github.com/gosspi/schannel/internal/kerberos/files"
	"github.com/gosspi/schannel/sspi"
)

// InitCredentialCache is kinit: it gets a TGT for principal with a
// password (cfg.Identity) or a client keytab (cfg.ClientKeytab) and
// replaces the credential cache (cfg.CCache, else KRB5CCNAME, else
// default_ccache_name) with it, in MIT's format, so that klist and every
// MIT-linked program see it. It returns the cache's path.
func InitCredentialCache(ctx context.Context, principal string, cfg *Config) (string, error) {
	c := Config{}
	if cfg != nil {
		c = *cfg
	}
	if c.Identity == nil && c.ClientKeytab == "" {
		return "", sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "kerberos: kinit needs a password (Identity) or a client keytab")
	}
	if c.Identity != nil && c.Identity.User == "" {
		id := *c.Identity
		id.User = principal
		c.Identity = &id
	}
	if ctx != nil {
		c.Context = ctx
	}
	ccName := c.CCache
	c.CCache = ""
	cs, err := acquire(principal, sspi.SECPKG_CRED_OUTBOUND, &c)
	if err != nil {
		return "", err
	}
	cs.mu.Lock()
	tgt, err := cs.getTGT(c.Context)
	cs.mu.Unlock()
	if err != nil {
		return "", err
	}
	if ccName == "" {
		ccName = files.CCacheName(cs.krb5)
	}
	path, err := files.ResolveFile(ccName)
	if err != nil {
		return "", sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "kerberos: credential cache %q: %w", ccName, err)
	}
	client := files.Principal{NameType: cs.client.NameType, Realm: cs.crealm, Components: cs.client.NameString}
	cc := &files.CCache{
		Version: 4, KDCOffset: cs.kdcOffset, HasKDCOffset: true, Principal: client,
		Credentials: []files.Credential{credentialOf(client, tgt)},
	}
	if err := files.WriteCCache(path, cc); err != nil {
		return "", sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: writing %s: %w", path, err)
	}
	return path, nil
}

func credentialOf(client files.Principal, t *ticket) files.Credential {
	return files.Credential{
		Client:  client,
		Server:  files.Principal{NameType: t.server.NameType, Realm: t.serverRlm, Components: t.server.NameString},
		KeyType: t.key.KeyType, Key: t.key.KeyValue,
		AuthTime: t.authTime, StartTime: t.startTime, EndTime: t.endTime, RenewTill: t.renewTill,
		Flags: t.flags, Ticket: t.ticketDER,
	}
}

// CachedTicket is one entry of a credential cache, as klist lists it.
type CachedTicket struct {
	Client, Server               string
	AuthTime, StartTime, EndTime time.Time
	RenewTill                    time.Time
	Flags                        uint32
	Enctype                      int32
	Expired                      bool
}

// ListCredentialCache is klist: the cache's principal and tickets
// (configuration entries left out). name is as in Config.CCache.
func ListCredentialCache(name string, cfg *Config) (string, string, []CachedTicket, error) {
	c := Config{}
	if cfg != nil {
		c = *cfg
	}
	kc, err := loadConfig(&c)
	if err != nil {
		return "", "", nil, err
	}
	if name == "" {
		name = files.CCacheName(kc)
	}
	path, err := files.ResolveFile(name)
	if err != nil {
		return "", "", nil, sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "kerberos: credential cache %q: %w", name, err)
	}
	cc, err := files.ReadCCache(path)
	if err != nil {
		return path, "", nil, sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "kerberos: credential cache %s: %w", path, err)
	}
	now := time.Now()
	if c.Now != nil {
		now = c.Now()
	}
	var out []CachedTicket
	for _, cr := range cc.Credentials {
		if cr.IsConfig() {
			continue
		}
		out = append(out, CachedTicket{
			Client: cr.Client.String(), Server: cr.Server.String(),
			AuthTime: cr.AuthTime, StartTime: cr.StartTime, EndTime: cr.EndTime, RenewTill: cr.RenewTill,
			Flags: cr.Flags, Enctype: cr.KeyType, Expired: !now.Before(cr.EndTime),
		})
	}
	return path, cc.Principal.String(), out, nil
}

// DestroyCredentialCache is kdestroy: it overwrites the cache file with
// zeros, as MIT's kdestroy does, and removes it. A cache that does not
// exist is not an error. It returns the cache's path.
func DestroyCredentialCache(name string, cfg *Config) (string, error) {
	c := Config{}
	if cfg != nil {
		c = *cfg
	}
	kc, err := loadConfig(&c)
	if err != nil {
		return "", err
	}
	if name == "" {
		name = files.CCacheName(kc)
	}
	path, err := files.ResolveFile(name)
	if err != nil {
		return "", sspi.Errorf(sspi.SEC_E_NO_CREDENTIALS, "kerberos: credential cache %q: %w", name, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return path, nil
	}
	if err != nil {
		return path, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: %w", err)
	}
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		_, _ = f.Write(make([]byte, st.Size()))
		_ = f.Sync()
	}
	_ = f.Close()
	if err := os.Remove(path); err != nil {
		return path, sspi.Errorf(sspi.SEC_E_INTERNAL_ERROR, "kerberos: %w", err)
	}
	return path, nil
}

// DefaultKeytab is the keytab MIT would use: KRB5_KTNAME, else
// default_keytab_name of krb5.conf, else FILE:/etc/krb5.keytab.
func DefaultKeytab() string {
	kc, err := files.LoadConfig()
	if err != nil {
		kc = nil
	}
	return files.KeytabName(kc)
}
