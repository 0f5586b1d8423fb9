package wire

import (
	"time"
)

// message is what every codec of the package offers.
type message interface {
	Marshal() ([]byte, error)
	Unmarshal([]byte) error
}

type sample struct {
	name string
	msg  message
}

func u32(v uint32) *uint32 { return &v }
func i32(v int32) *int32   { return &v }
func str(v string) *string { return &v }

var (
	t0 = time.Date(2026, 11, 30, 14, 0, 0, 0, time.UTC)
	t1 = t0.Add(10 * time.Hour)
	t2 = t0.Add(7 * 24 * time.Hour)
)

func sampleName() PrincipalName {
	return PrincipalName{NameType: NTSrvInst, NameString: []string{"host", "localhost"}}
}

func sampleTicket() Ticket {
	return Ticket{
		Realm:   "TEST.LOCAL",
		SName:   sampleName(),
		EncPart: EncryptedData{EType: 18, KVNO: u32(2), Cipher: []byte("ticket cipher")},
	}
}

// samples are hand-built values of every type: one with every optional
// member present and one with none, so each branch of each codec runs.
func samples() []sample {
	user := PrincipalName{NameType: NTPrincipal, NameString: []string{"user"}}
	key := EncryptionKey{KeyType: 18, KeyValue: make([]byte, 32)}
	return []sample{
		{"PrincipalName", &PrincipalName{NameType: NTPrincipal, NameString: []string{"user"}}},
		{"PrincipalName empty", &PrincipalName{NameType: NTUnknown, NameString: []string{}}},
		{"EncryptedData", &EncryptedData{EType: 17, KVNO: u32(0xfffffffe), Cipher: []byte{1, 2, 3}}},
		{"EncryptedData no kvno", &EncryptedData{EType: 23, Cipher: []byte{}}},
		{"EncryptionKey", &key},
		{"Checksum", &Checksum{CksumType: 0x8003, Checksum: make([]byte, 24)}},
		{"HostAddresses", &HostAddresses{{AddrType: AddrIPv4, Address: []byte{127, 0, 0, 1}}}},
		{"MethodData", &MethodData{{Type: PAEncTimestamp, Value: []byte{}}, {Type: PAETypeInfo2, Value: []byte{0x30, 0}}}},
		{"AuthorizationData", &AuthorizationData{{ADType: ADIfRelevant, ADData: []byte{0x30, 0}}}},
		{"PAEncTSEnc", &PAEncTSEnc{PATimestamp: t0, PAUSec: i32(999999)}},
		{"PAEncTSEnc no usec", &PAEncTSEnc{PATimestamp: t0}},
		{"ETypeInfo2", &ETypeInfo2{
			{EType: 18, Salt: str("TEST.LOCALuser"), S2KParams: []byte{0, 0, 0x10, 0}},
			{EType: 23},
		}},
		{"Ticket", func() *Ticket { t := sampleTicket(); return &t }()},
		{"EncTicketPart", &EncTicketPart{
			Flags: TktFlagForwardable | TktFlagInitial | TktFlagPreAuthent, Key: key,
			CRealm: "TEST.LOCAL", CName: user,
			Transited: TransitedEncoding{TRType: TransitedDomainX500Compress, Contents: []byte{}},
			AuthTime:  t0, StartTime: t0, EndTime: t1, RenewTill: t2,
			CAddr:             HostAddresses{{AddrType: AddrIPv6, Address: make([]byte, 16)}},
			AuthorizationData: AuthorizationData{{ADType: ADWin2KPAC, ADData: []byte("pac")}},
		}},
		{"EncTicketPart minimal", &EncTicketPart{
			Key: key, CRealm: "R", CName: user,
			Transited: TransitedEncoding{TRType: 1, Contents: []byte{}}, AuthTime: t0, EndTime: t1,
		}},
		{"AS-REQ", &KDCReq{
			MsgType: TagASReq,
			PAData:  MethodData{{Type: PAPACRequest, Value: []byte{0x30, 0x05, 0xa0, 0x03, 0x01, 0x01, 0xff}}},
			ReqBody: KDCReqBody{
				KDCOptions: KDCOptForwardable | KDCOptRenewableOK | KDCOptCanonicalize,
				CName:      &user, Realm: "TEST.LOCAL",
				SName: &PrincipalName{NameType: NTSrvInst, NameString: []string{"krbtgt", "TEST.LOCAL"}},
				From:  t0, Till: t1, RTime: t2, Nonce: 0x80000001,
				EType:     []int32{18, 17, 20, 19, 23},
				Addresses: HostAddresses{{AddrType: AddrIPv4, Address: []byte{127, 0, 0, 1}}},
			},
		}},
		{"TGS-REQ", &KDCReq{
			MsgType: TagTGSReq,
			PAData:  MethodData{{Type: PATGSReq, Value: []byte("ap-req")}},
			ReqBody: KDCReqBody{
				Realm: "TEST.LOCAL", SName: &PrincipalName{NameType: NTSrvHst, NameString: []string{"HTTP", "localhost"}},
				Till: t1, Nonce: 7, EType: []int32{18},
				EncAuthorizationData: &EncryptedData{EType: 18, Cipher: []byte("ad")},
				AdditionalTickets:    []Ticket{sampleTicket()},
			},
		}},
		{"AS-REQ minimal", &KDCReq{MsgType: TagASReq, ReqBody: KDCReqBody{Realm: "R", Till: t1, EType: []int32{}}}},
		{"AS-REP", &KDCRep{
			MsgType: TagASRep,
			PAData:  MethodData{{Type: PAETypeInfo2, Value: []byte{0x30, 0}}},
			CRealm:  "TEST.LOCAL", CName: user, Ticket: sampleTicket(),
			EncPart: EncryptedData{EType: 18, KVNO: u32(1), Cipher: []byte("enc")},
		}},
		{"TGS-REP", &KDCRep{
			MsgType: TagTGSRep, CRealm: "TEST.LOCAL", CName: user, Ticket: sampleTicket(),
			EncPart: EncryptedData{EType: 18, Cipher: []byte("enc")},
		}},
		{"EncASRepPart", &EncKDCRepPart{
			Tag: TagEncASRepPart, Key: key,
			LastReq: LastReq{{LRType: 0, LRValue: t0}}, Nonce: 0xffffffff, KeyExpiration: t2,
			Flags: TktFlagInitial, AuthTime: t0, StartTime: t0, EndTime: t1, RenewTill: t2,
			SRealm: "TEST.LOCAL", SName: sampleName(),
			CAddr:     HostAddresses{},
			EncPAData: MethodData{{Type: PAEncPAReqRep, Value: []byte{1}}},
		}},
		{"EncTGSRepPart minimal", &EncKDCRepPart{
			Tag: TagEncTGSRepPart, Key: key, LastReq: LastReq{}, AuthTime: t0, EndTime: t1,
			SRealm: "R", SName: sampleName(),
		}},
		{"AP-REQ", &APReq{
			APOptions: APOptMutualRequired, Ticket: sampleTicket(),
			Authenticator: EncryptedData{EType: 18, Cipher: []byte("authenticator")},
		}},
		{"Authenticator", &Authenticator{
			CRealm: "TEST.LOCAL", CName: user,
			Cksum: &Checksum{CksumType: 0x8003, Checksum: make([]byte, 24)},
			CUSec: 123456, CTime: t0, Subkey: &key, SeqNumber: u32(0xdeadbeef),
			AuthorizationData: AuthorizationData{{ADType: ADIfRelevant, ADData: []byte{0x30, 0}}},
		}},
		{"Authenticator minimal", &Authenticator{CRealm: "R", CName: user, CTime: t0}},
		{"AP-REP", &APRep{EncPart: EncryptedData{EType: 18, Cipher: []byte("aprep")}}},
		{"EncAPRepPart", &EncAPRepPart{CTime: t0, CUSec: 1, Subkey: &key, SeqNumber: u32(42)}},
		{"EncAPRepPart minimal", &EncAPRepPart{CTime: t0}},
		{"KRB-ERROR", &KRBError{
			CTime: t0, CUSec: i32(5), STime: t0, SUSec: 6, ErrorCode: KDCErrPreauthRequired,
			CRealm: str("TEST.LOCAL"), CName: &user, Realm: "TEST.LOCAL",
			SName: PrincipalName{NameType: NTSrvInst, NameString: []string{"krbtgt", "TEST.LOCAL"}},
			EText: str("Additional pre-authentication required"), EData: []byte{0x30, 0},
		}},
		{"KRB-ERROR minimal", &KRBError{STime: t0, ErrorCode: KRBAPErrSkew, Realm: "R", SName: sampleName()}},
		{"KRB-CRED", &KRBCred{Tickets: []Ticket{sampleTicket()}, EncPart: EncryptedData{EType: 18, Cipher: []byte("cred")}}},
		{"EncKrbCredPart", &EncKrbCredPart{
			TicketInfo: []KrbCredInfo{{
				Key: key, PRealm: str("TEST.LOCAL"), PName: &user, Flags: u32(TktFlagForwarded),
				AuthTime: t0, StartTime: t0, EndTime: t1, RenewTill: t2,
				SRealm: str("TEST.LOCAL"), SName: &PrincipalName{NameType: NTSrvInst, NameString: []string{"krbtgt", "TEST.LOCAL"}},
				CAddr: HostAddresses{},
			}, {Key: key}},
			Nonce: u32(1), Timestamp: t0, USec: i32(2),
			SAddress: &HostAddress{AddrType: AddrIPv4, Address: []byte{127, 0, 0, 1}},
			RAddress: &HostAddress{AddrType: AddrIPv4, Address: []byte{127, 0, 0, 2}},
		}},
		{"EncKrbCredPart minimal", &EncKrbCredPart{TicketInfo: []KrbCredInfo{}}},
		{"GSSToken AP-REQ", &GSSToken{TokID: TokAPReq, Message: []byte{0x6e, 0}}},
		{"GSSToken MS OID", &GSSToken{MSOID: true, TokID: TokAPRep, Message: []byte{}}},
	}
}
