package wire

import "strings"

// Param is one auth-param of RFC 7235 section 2.1: name "=" (token /
// quoted-string). Name is lower-cased, since directive names are
// case-insensitive. Quoted records whether the value came as a
// quoted-string, and makes Marshal send it as one.
type Param struct {
	Name   string
	Value  string
	Quoted bool
}

// Challenge is one challenge of RFC 7235 section 2.1: a scheme followed by
// either a token68 or a list of auth-params.
type Challenge struct {
	Scheme  string
	Token68 string
	Params  []Param
}

// ParseChallenges parses a WWW-Authenticate (or Proxy-Authenticate) value:
// 1#challenge. Several challenges of any scheme may share one value; a
// comma then separates both parameters and challenges, and what follows a
// comma is a parameter exactly when it reads token BWS "=".
func ParseChallenges(s string) ([]Challenge, error) {
	if len(s) > MaxHeaderLen {
		return nil, errorf("header value longer than the cap")
	}
	l := lexer{s: s}
	var out []Challenge
	for {
		l.skipSeparators()
		if l.eof() {
			break
		}
		if len(out) == MaxChallenges {
			return nil, errorf("too many challenges")
		}
		scheme := l.token()
		if scheme == "" {
			return nil, errorf("expected an auth-scheme")
		}
		ch := Challenge{Scheme: scheme}
		spaces := l.skipOWS()
		if !l.eof() && l.s[l.i] != ',' {
			if spaces == 0 {
				return nil, errorf("auth-scheme not followed by a space")
			}
			start := l.i
			p, perr := l.param()
			if perr != nil {
				l.i = start
				t, ok := l.token68()
				if !ok {
					return nil, perr
				}
				ch.Token68 = t
			} else {
				ch.Params = append(ch.Params, p)
				params, err := l.moreParams(len(ch.Params))
				if err != nil {
					return nil, err
				}
				ch.Params = append(ch.Params, params...)
			}
		}
		out = append(out, ch)
		l.skipOWS()
		if !l.eof() && l.s[l.i] != ',' {
			return nil, errorf("unexpected character after a challenge")
		}
	}
	if len(out) == 0 {
		return nil, errorf("no challenge")
	}
	size := 0
	for _, ch := range out {
		size += len(ch.Scheme) + 3 + len(ch.Token68) + encodedSize(ch.Params)
	}
	if size > MaxHeaderLen {
		return nil, errorf("header value longer than the cap")
	}
	return out, nil
}

// ParseParams parses a bare #auth-param list, the form of
// Authentication-Info and of every RFC 2831 message. Empty list elements
// are allowed, as RFC 7230 section 7 asks of recipients.
func ParseParams(s string) ([]Param, error) {
	if len(s) > MaxHeaderLen {
		return nil, errorf("value longer than the cap")
	}
	l := lexer{s: s}
	var out []Param
	for {
		l.skipSeparators()
		if l.eof() {
			if encodedSize(out) > MaxHeaderLen {
				return nil, errorf("value longer than the cap")
			}
			return out, nil
		}
		if len(out) == MaxParams {
			return nil, errorf("too many parameters")
		}
		p, err := l.param()
		if err != nil {
			return nil, err
		}
		out = append(out, p)
		l.skipOWS()
		if !l.eof() && l.s[l.i] != ',' {
			return nil, errorf("unexpected character after a parameter")
		}
	}
}

// encodedSize bounds the length of params once marshalled: every value
// quoted with its escapes, ", " between. The caps apply to this bound and
// not to the input alone, so that whatever parses also parses again once
// marshalled, however the peer laid it out.
func encodedSize(params []Param) int {
	n := 0
	for _, p := range params {
		n += len(p.Name) + len(p.Value) + 5
		n += strings.Count(p.Value, `"`) + strings.Count(p.Value, `\`)
	}
	return n
}

// MarshalChallenges encodes challenges as one header value.
func MarshalChallenges(chs []Challenge) (string, error) {
	var b strings.Builder
	for i, ch := range chs {
		if i > 0 {
			b.WriteString(", ")
		}
		if !isToken(ch.Scheme) {
			return "", errorf("auth-scheme is not a token")
		}
		b.WriteString(ch.Scheme)
		switch {
		case ch.Token68 != "" && len(ch.Params) > 0:
			return "", errorf("challenge with both token68 and parameters")
		case ch.Token68 != "":
			if !isToken68(ch.Token68) {
				return "", errorf("malformed token68")
			}
			b.WriteByte(' ')
			b.WriteString(ch.Token68)
		case len(ch.Params) > 0:
			b.WriteByte(' ')
			if err := appendParams(&b, ch.Params, ", "); err != nil {
				return "", err
			}
		}
	}
	return b.String(), nil
}

// MarshalParams encodes a bare parameter list joined by sep.
func MarshalParams(params []Param, sep string) (string, error) {
	var b strings.Builder
	if err := appendParams(&b, params, sep); err != nil {
		return "", err
	}
	return b.String(), nil
}

func appendParams(b *strings.Builder, params []Param, sep string) error {
	for i, p := range params {
		if i > 0 {
			b.WriteString(sep)
		}
		if !isToken(p.Name) {
			return errorf("parameter name is not a token")
		}
		if len(p.Value) > MaxValueLen {
			return errorf("parameter " + p.Name + " longer than the cap")
		}
		b.WriteString(p.Name)
		b.WriteByte('=')
		if !p.Quoted && isToken(p.Value) {
			b.WriteString(p.Value)
			continue
		}
		b.WriteByte('"')
		for j := 0; j < len(p.Value); j++ {
			c := p.Value[j]
			if isCTL(c) {
				return errorf("control character in parameter " + p.Name)
			}
			if c == '"' || c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		}
		b.WriteByte('"')
	}
	return nil
}

type lexer struct {
	s string
	i int
}

func (l *lexer) eof() bool { return l.i >= len(l.s) }

// skipOWS skips optional white space (SP and HTAB) and reports how much.
func (l *lexer) skipOWS() int {
	n := 0
	for !l.eof() && (l.s[l.i] == ' ' || l.s[l.i] == '\t') {
		l.i++
		n++
	}
	return n
}

// skipSeparators skips white space and empty list elements.
func (l *lexer) skipSeparators() {
	for {
		l.skipOWS()
		if l.eof() || l.s[l.i] != ',' {
			return
		}
		l.i++
	}
}

func (l *lexer) token() string {
	start := l.i
	for !l.eof() && isTchar(l.s[l.i]) {
		l.i++
	}
	return l.s[start:l.i]
}

// token68 reads a token68 that must end the challenge (RFC 7235 section
// 2.1).
func (l *lexer) token68() (string, bool) {
	start := l.i
	for !l.eof() && isToken68Char(l.s[l.i]) {
		l.i++
	}
	if l.i == start {
		return "", false
	}
	for !l.eof() && l.s[l.i] == '=' {
		l.i++
	}
	t := l.s[start:l.i]
	l.skipOWS()
	if !l.eof() && l.s[l.i] != ',' {
		return "", false
	}
	return t, true
}

// param reads token BWS "=" BWS ( token / quoted-string ).
func (l *lexer) param() (Param, error) {
	name := l.token()
	if name == "" {
		return Param{}, errorf("expected a parameter name")
	}
	l.skipOWS()
	if l.eof() || l.s[l.i] != '=' {
		return Param{}, errorf("parameter " + name + " without '='")
	}
	l.i++
	l.skipOWS()
	p := Param{Name: strings.ToLower(name)}
	if !l.eof() && l.s[l.i] == '"' {
		v, err := l.quoted()
		if err != nil {
			return Param{}, err
		}
		p.Value, p.Quoted = v, true
		return p, nil
	}
	p.Value = l.token()
	if p.Value == "" {
		return Param{}, errorf("parameter " + name + " without a value")
	}
	if len(p.Value) > MaxValueLen {
		return Param{}, errorf("parameter " + name + " longer than the cap")
	}
	return p, nil
}

// moreParams reads the parameters after the first of a challenge, up to
// the comma that starts the next challenge.
func (l *lexer) moreParams(have int) ([]Param, error) {
	var out []Param
	for {
		l.skipOWS()
		if l.eof() || l.s[l.i] != ',' {
			return out, nil
		}
		mark := l.i
		l.skipSeparators()
		if l.eof() || !l.atParam() {
			l.i = mark
			return out, nil
		}
		if have+len(out) == MaxParams {
			return nil, errorf("too many parameters")
		}
		p, err := l.param()
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
}

// atParam reports whether the input continues with token BWS "=", which
// starts a parameter rather than a new challenge.
func (l *lexer) atParam() bool {
	save := l.i
	defer func() { l.i = save }()
	if l.token() == "" {
		return false
	}
	l.skipOWS()
	return !l.eof() && l.s[l.i] == '='
}

// quoted reads a quoted-string (RFC 7230 section 3.2.6) and returns it
// unescaped.
func (l *lexer) quoted() (string, error) {
	l.i++ // opening DQUOTE
	var b []byte
	for {
		if l.eof() {
			return "", errorf("unbalanced quotes")
		}
		c := l.s[l.i]
		l.i++
		switch {
		case c == '"':
			return string(b), nil
		case c == '\\':
			if l.eof() {
				return "", errorf("unbalanced quotes")
			}
			c = l.s[l.i]
			l.i++
			if isCTL(c) {
				return "", errorf("control character in a quoted-pair")
			}
		case isCTL(c):
			return "", errorf("control character in a quoted-string")
		}
		if len(b) == MaxValueLen {
			return "", errorf("quoted-string longer than the cap")
		}
		b = append(b, c)
	}
}

// isCTL reports the characters neither qdtext nor quoted-pair admit: the
// controls other than HTAB, and DEL.
func isCTL(c byte) bool { return (c < 0x20 && c != '\t') || c == 0x7f }

// isTchar is the tchar of RFC 7230 section 3.2.6.
func isTchar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTchar(s[i]) {
			return false
		}
	}
	return true
}

func isToken68Char(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~+/", c) >= 0
}

func isToken68(s string) bool {
	i := 0
	for i < len(s) && isToken68Char(s[i]) {
		i++
	}
	if i == 0 {
		return false
	}
	for i < len(s) && s[i] == '=' {
		i++
	}
	return i == len(s)
}
