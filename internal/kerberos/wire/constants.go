package wire

// Application tags of RFC 4120 section 5, which are also the msg-type
// values of the messages that carry one.
const (
	TagTicket         = 1
	TagAuthenticator  = 2
	TagEncTicketPart  = 3
	TagASReq          = 10
	TagASRep          = 11
	TagTGSReq         = 12
	TagTGSRep         = 13
	TagAPReq          = 14
	TagAPRep          = 15
	TagKRBSafe        = 20
	TagKRBPriv        = 21
	TagKRBCred        = 22
	TagEncASRepPart   = 25
	TagEncTGSRepPart  = 26
	TagEncAPRepPart   = 27
	TagEncKrbPrivPart = 28
	TagEncKrbCredPart = 29
	TagKRBError       = 30
)

// PVNO is the protocol version number every message carries.
const PVNO = 5

// Principal name types, RFC 4120 section 6.2 and RFC 6806 section 5.
const (
	NTUnknown    int32 = 0
	NTPrincipal  int32 = 1
	NTSrvInst    int32 = 2
	NTSrvHst     int32 = 3
	NTSrvXHst    int32 = 4
	NTUID        int32 = 5
	NTX500       int32 = 6
	NTSMTPName   int32 = 7
	NTEnterprise int32 = 10
)

// PA-DATA types, RFC 4120 section 7.5.2 and later RFCs.
const (
	PATGSReq       int32 = 1
	PAEncTimestamp int32 = 2
	PAPWSalt       int32 = 3
	PAETypeInfo    int32 = 11
	PAETypeInfo2   int32 = 19
	PAPACRequest   int32 = 128 // MS-KILE 2.2.3
	PAFXCookie     int32 = 133 // RFC 6113
	PAFXFast       int32 = 136 // RFC 6113
	PAFXError      int32 = 137 // RFC 6113
	PAEncPAReqRep  int32 = 149 // RFC 6806 section 11
)

// Authorization data types, RFC 4120 section 7.5.4 and MS-PAC.
const (
	ADIfRelevant   int32 = 1
	ADKDCIssued    int32 = 4
	ADAndOr        int32 = 5
	ADMandatoryFor int32 = 8
	ADWin2KPAC     int32 = 128
)

// Host address types, RFC 4120 section 7.5.3.
const (
	AddrIPv4    int32 = 2
	AddrIPv6    int32 = 24
	AddrNetBIOS int32 = 20
)

// Transited encoding types, RFC 4120 section 7.5.5.
const TransitedDomainX500Compress int32 = 1

// Last-request types are in LastReq; RFC 4120 section 5.4.2 defines them
// by sign and magnitude, so no constants.

// The flag constants below are masks of the uint32 Flags fields, which
// hold KerberosFlags bit 0 (the first bit on the wire) in their most
// significant bit: bit n of RFC 4120 is 1 << (31 - n).

// KDC options, RFC 4120 section 5.4.1, and RFC 6806 canonicalize.
const (
	KDCOptForwardable           uint32 = 1 << (31 - 1)
	KDCOptForwarded             uint32 = 1 << (31 - 2)
	KDCOptProxiable             uint32 = 1 << (31 - 3)
	KDCOptProxy                 uint32 = 1 << (31 - 4)
	KDCOptAllowPostdate         uint32 = 1 << (31 - 5)
	KDCOptPostdated             uint32 = 1 << (31 - 6)
	KDCOptRenewable             uint32 = 1 << (31 - 8)
	KDCOptCanonicalize          uint32 = 1 << (31 - 15)
	KDCOptDisableTransitedCheck uint32 = 1 << (31 - 26)
	KDCOptRenewableOK           uint32 = 1 << (31 - 27)
	KDCOptEncTktInSkey          uint32 = 1 << (31 - 28)
	KDCOptRenew                 uint32 = 1 << (31 - 30)
	KDCOptValidate              uint32 = 1 << (31 - 31)
)

// Ticket flags, RFC 4120 section 5.3, and RFC 6806 enc-pa-rep.
const (
	TktFlagForwardable      uint32 = 1 << (31 - 1)
	TktFlagForwarded        uint32 = 1 << (31 - 2)
	TktFlagProxiable        uint32 = 1 << (31 - 3)
	TktFlagProxy            uint32 = 1 << (31 - 4)
	TktFlagMayPostdate      uint32 = 1 << (31 - 5)
	TktFlagPostdated        uint32 = 1 << (31 - 6)
	TktFlagInvalid          uint32 = 1 << (31 - 7)
	TktFlagRenewable        uint32 = 1 << (31 - 8)
	TktFlagInitial          uint32 = 1 << (31 - 9)
	TktFlagPreAuthent       uint32 = 1 << (31 - 10)
	TktFlagHWAuthent        uint32 = 1 << (31 - 11)
	TktFlagTransitedChecked uint32 = 1 << (31 - 12)
	TktFlagOKAsDelegate     uint32 = 1 << (31 - 13)
	TktFlagEncPARep         uint32 = 1 << (31 - 15)
	TktFlagAnonymous        uint32 = 1 << (31 - 16)
)

// AP options, RFC 4120 section 5.5.1.
const (
	APOptUseSessionKey  uint32 = 1 << (31 - 1)
	APOptMutualRequired uint32 = 1 << (31 - 2)
)

// Error codes of KRB-ERROR, RFC 4120 section 7.5.9 and RFC 6113.
const (
	KDCErrNone                 int32 = 0
	KDCErrNameExp              int32 = 1
	KDCErrServiceExp           int32 = 2
	KDCErrBadPVNO              int32 = 3
	KDCErrCOldMastKVNO         int32 = 4
	KDCErrSOldMastKVNO         int32 = 5
	KDCErrCPrincipalUnknown    int32 = 6
	KDCErrSPrincipalUnknown    int32 = 7
	KDCErrPrincipalNotUnique   int32 = 8
	KDCErrNullKey              int32 = 9
	KDCErrCannotPostdate       int32 = 10
	KDCErrNeverValid           int32 = 11
	KDCErrPolicy               int32 = 12
	KDCErrBadOption            int32 = 13
	KDCErrETypeNoSupp          int32 = 14
	KDCErrSumTypeNoSupp        int32 = 15
	KDCErrPADataTypeNoSupp     int32 = 16
	KDCErrTRTypeNoSupp         int32 = 17
	KDCErrClientRevoked        int32 = 18
	KDCErrServiceRevoked       int32 = 19
	KDCErrTGTRevoked           int32 = 20
	KDCErrClientNotYet         int32 = 21
	KDCErrServiceNotYet        int32 = 22
	KDCErrKeyExpired           int32 = 23
	KDCErrPreauthFailed        int32 = 24
	KDCErrPreauthRequired      int32 = 25
	KDCErrServerNoMatch        int32 = 26
	KDCErrMustUseUser2User     int32 = 27
	KDCErrPathNotAccepted      int32 = 28
	KDCErrSvcUnavailable       int32 = 29
	KRBAPErrBadIntegrity       int32 = 31
	KRBAPErrTktExpired         int32 = 32
	KRBAPErrTktNYV             int32 = 33
	KRBAPErrRepeat             int32 = 34
	KRBAPErrNotUs              int32 = 35
	KRBAPErrBadMatch           int32 = 36
	KRBAPErrSkew               int32 = 37
	KRBAPErrBadAddr            int32 = 38
	KRBAPErrBadVersion         int32 = 39
	KRBAPErrMsgType            int32 = 40
	KRBAPErrModified           int32 = 41
	KRBAPErrBadOrder           int32 = 42
	KRBAPErrBadKeyVer          int32 = 44
	KRBAPErrNoKey              int32 = 45
	KRBAPErrMutFail            int32 = 46
	KRBAPErrBadDirection       int32 = 47
	KRBAPErrMethod             int32 = 48
	KRBAPErrBadSeq             int32 = 49
	KRBAPErrInappCksum         int32 = 50
	KRBAPPathNotAccepted       int32 = 51
	KRBErrResponseTooBig       int32 = 52
	KRBErrGeneric              int32 = 60
	KRBErrFieldTooLong         int32 = 61
	KDCErrClientNotTrusted     int32 = 62
	KDCErrKDCNotTrusted        int32 = 63
	KDCErrInvalidSig           int32 = 64
	KDCErrKeyTooWeak           int32 = 65
	KRBAPErrUserToUserRequired int32 = 66
	KRBAPErrNoTGT              int32 = 67
	KDCErrWrongRealm           int32 = 68
	KDCErrPreauthExpired       int32 = 90
	KDCErrMorePreauthDataReq   int32 = 91
	KDCErrUnknownCriticalFAST  int32 = 93
)
