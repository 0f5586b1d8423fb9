package crypto

// Known-answer vectors, each block with its source. Hex strings are the
// sources' bytes; only the layout is ours.

// rfc3961AppendixA1 is RFC 3961 appendix A.1, n-fold. The last four rows
// (the "kerberos" constant) are from the same appendix.
var rfc3961AppendixA1 = []struct {
	in   string
	bits int
	out  string
}{
	{"012345", 64, "be072631276b1955"},
	{"password", 56, "78a07b6caf85fa"},
	{"Rough Consensus, and Running Code", 64, "bb6ed30870b7f0e0"},
	{"password", 168, "59e4a8ca7c0385c3c37b3f6d2000247cb6e6bd5b3e"},
	{"MASSACHVSETTS INSTITVTE OF TECHNOLOGY", 192, "db3b0d8f0b061e603282b308a50841229ad798fab9540c1b"},
	{"Q", 168, "518a54a215a8452a518a54a215a8452a518a54a215"},
	{"ba", 168, "fb25d531ae8974499f52fd92ea9857c4ba24cf297e"},
	{"kerberos", 64, "6b65726265726f73"},
	{"kerberos", 128, "6b65726265726f737b9b5b2b93132b93"},
	{"kerberos", 168, "8372c236344e5f1550cd0747e15d62ca7a5a3bcea4"},
	{"kerberos", 256, "6b65726265726f737b9b5b2b93132b935c9bdcdad95c9899c4cae4dee6d6cae4"},
}

// rfc3962AppendixBStringToKey is RFC 3962 appendix B: PBKDF2-HMAC-SHA1
// output and the AES-128 and AES-256 keys, for several iteration counts.
// The salts "\x12\x34\x56\x78\x78\x56\x34\x12" and the G-clef password
// (U+1D11E) are the appendix's.
var rfc3962AppendixBStringToKey = []struct {
	iter                   int
	password, salt         string
	pbkdf2, aes128, aes256 string
}{
	{1, "password", "ATHENA.MIT.EDUraeburn",
		"cdedb5281bb2f801565a1122b25635150ad1f7a04bb9f3a333ecc0e2e1f70837",
		"42263c6e89f4fc28b8df68ee09799f15",
		"fe697b52bc0d3ce14432ba036a92e65bbb52280990a2fa27883998d72af30161"},
	{2, "password", "ATHENA.MIT.EDUraeburn",
		"01dbee7f4a9e243e988b62c73cda935da05378b93244ec8f48a99e61ad799d86",
		"c651bf29e2300ac27fa469d693bdda13",
		"a2e16d16b36069c135d5e9d2e25f896102685618b95914b467c67622225824ff"},
	{1200, "password", "ATHENA.MIT.EDUraeburn",
		"5c08eb61fdf71e4e4ec3cf6ba1f5512ba7e52ddbc5e5142f708a31e2e62b1e13",
		"4c01cd46d632d01e6dbe230a01ed642a",
		"55a6ac740ad17b4846941051e1e8b0a7548d93b0ab30a8bc3ff16280382b8c2a"},
	{5, "password", "\x12\x34\x56\x78\x78\x56\x34\x12",
		"d1daa78615f287e6a1c8b120d7062a493f98d203e6be49a6adf4fa574b6e64ee",
		"e9b23d52273747dd5c35cb55be619d8e",
		"97a4e786be20d81a382d5ebc96d5909cabcdadc87ca48f574504159f16c36e31"},
	{1200, "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "pass phrase equals block size",
		"139c30c0966bc32ba55fdbf212530ac9c5ec59f1a452f5cc9ad940fea0598ed1",
		"59d1bb789a828b1aa54ef9c2883f69ed",
		"89adee3608db8bc71f1bfbfe459486b05618b70cbae22092534e56c553ba4b34"},
	{1200, "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "pass phrase exceeds block size",
		"9ccad6d468770cd51b10e6a68721be611a8b4d282601db3b36be9246915ec82a",
		"cb8005dc5f90179a7f02104c0018751d",
		"d78c5c9cb872a8c9dad4697f0bb5b2d21496c82beb2caeda2112fceea057401b"},
	{50, "\xf0\x9d\x84\x9e", "EXAMPLE.COMpianist",
		"6b9cf26d45455a43a5b8bb276a403b39e7fe37a0c41e02c281ff3069e1e94f52",
		"f149c1f2e154a73452d43e7fe62a56e5",
		"4b6d9839f84406df1f09cc166db4b83c571848b784a3d6bdc346589a3e393f9e"},
}

// rfc3962AppendixBCTS is RFC 3962 appendix B, AES-128 CTS with the key
// "chicken teriyaki" and a zero IV; each input is a prefix of
// "I would like the General Gau's Chicken, please, and wonton soup."
var rfc3962AppendixBCTS = []struct {
	length int
	out    string
}{
	{17, "c6353568f2bf8cb4d8a580362da7ff7f97"},
	{31, "fc00783e0efdb2c1d445d4c8eff7ed2297687268d6ecccc0c07b25e25ecfe5"},
	{32, "39312523a78662d5be7fcbcc98ebf5a897687268d6ecccc0c07b25e25ecfe584"},
	{47, "97687268d6ecccc0c07b25e25ecfe584b3fffd940c16a18c1b5549d2f838029e39312523a78662d5be7fcbcc98ebf5"},
	{48, "97687268d6ecccc0c07b25e25ecfe5849dad8bbb96c4cdc03bc103e1a194bbd839312523a78662d5be7fcbcc98ebf5a8"},
	{64, "97687268d6ecccc0c07b25e25ecfe58439312523a78662d5be7fcbcc98ebf5a84807efe836ee89a526730dbc2f7bc8409dad8bbb96c4cdc03bc103e1a194bbd8"},
}

const rfc3962CTSKey = "chicken teriyaki"
const rfc3962CTSInput = "I would like the General Gau's Chicken, please, and wonton soup."

// rfc8009AppendixA is RFC 8009 appendix A, for both enctypes: string-to-key
// (32768 iterations, the salt a 16-byte random prefix and
// "ATHENA.MIT.EDUraeburn"), Kc/Ke/Ki for usage 2, the PRF of "test", four
// sample encryptions and a checksum.
var rfc8009AppendixA = []struct {
	enctype     int32
	s2kKey      string
	baseKey     string
	kc, ke, ki  string
	prf         string
	checksum    string
	encryptions []rfc8009Encryption
}{
	{
		enctype:  AES128CTSHMACSHA256128,
		s2kKey:   "089bca48b105ea6ea77ca5d2f39dc5e7",
		baseKey:  "3705d96080c17728a0e800eab6e0d23c",
		kc:       "b31a018a48f54776f403e9a396325dc3",
		ke:       "9b197dd1e8c5609d6e67c3e37c62c72e",
		ki:       "9fda0e56ab2d85e1569a688696c26a6c",
		prf:      "9d188616f63852fe86915bb840b4a886ff3e6bb0f819b49b893393d393854295",
		checksum: "d78367186643d67b411cba9139fc1dee",
		encryptions: []rfc8009Encryption{
			{"", "7e5895eaf2672435bad817f545a37148", "ef85fb890bb8472f4dab20394dca781dad877eda39d50c870c0d5a0a8e48c718"},
			{"000102030405", "7bca285e2fd4130fb55b1a5c83bc5b24", "84d7f30754ed987bab0bf3506beb09cfb55402cef7e6877ce99e247e52d16ed4421dfdf8976c"},
			{"000102030405060708090a0b0c0d0e0f", "56ab21713ff62c0a1457200f6fa9948f", "3517d640f50ddc8ad3628722b3569d2ae07493fa8263254080ea65c1008e8fc295fb4852e7d83e1e7c48c37eebe6b0d3"},
			{"000102030405060708090a0b0c0d0e0f1011121314", "a7a4e29a4728ce10664fb64e49ad3fac", "720f73b18d9859cd6ccb4346115cd336c70f58edc0c4437c5573544c31c813bce1e6d072c186b39a413c2f92ca9b8334a287ffcbfc"},
		},
	},
	{
		enctype:  AES256CTSHMACSHA384192,
		s2kKey:   "45bd806dbf6a833a9cffc1c94589a222367a79bc21c413718906e9f578a78467",
		baseKey:  "6d404d37faf79f9df0d33568d320669800eb4836472ea8a026d16b7182460c52",
		kc:       "ef5718be86cc84963d8bbb5031e9f5c4ba41f28faf69e73d",
		ke:       "56ab22bee63d82d7bc5227f6773f8ea7a5eb1c825160c38312980c442e5c7e49",
		ki:       "69b16514e3cd8e56b82010d5c73012b622c4d00ffc23ed1f",
		prf:      "9801f69a368c2bf675e59521e177d9a07f67efe1cfde8d3c8d6f6a0256e3b17db3c1b62ad1b8553360d17367eb1514d2",
		checksum: "45ee791567eefca37f4ac1e0222de80d43c3bfa06699672a",
		encryptions: []rfc8009Encryption{
			{"", "f764e9fa15c276478b2c7d0c4e5f58e4", "41f53fa5bfe7026d91faf9be959195a058707273a96a40f0a01960621ac612748b9bbfbe7eb4ce3c"},
			{"000102030405", "b80d3251c1f6471494256ffe712d0b9a", "4ed7b37c2bcac8f74f23c1cf07e62bc7b75fb3f637b9f559c7f664f69eab7b6092237526ea0d1f61cb20d69d10f2"},
			{"000102030405060708090a0b0c0d0e0f", "53bf8a0d105265d4e276428624ce5e63", "bc47ffec7998eb91e8115cf8d19dac4bbbe2e163e87dd37f49beca92027764f68cf51f14d798c2273f35df574d1f932e40c4ff255b36a266"},
			{"000102030405060708090a0b0c0d0e0f1011121314", "763e65367e864f02f55153c7e3b58af1", "40013e2df58e8751957d2878bcd2d6fe101ccfd556cb1eae79db3c3ee86429f2b2a602ac86fef6ecb647d6295fae077a1feb517508d2c16b4192e01f62"},
		},
	},
}

type rfc8009Encryption struct {
	plaintext, confounder, ciphertext string
}

const (
	rfc8009Salt     = "\x10\xdf\x9d\xd7\x83\xe5\xbc\x8a\xce\xa1\x73\x0e\x74\x35\x5f\x61ATHENA.MIT.EDUraeburn"
	rfc8009Password = "password"
	rfc8009Checked  = "000102030405060708090a0b0c0d0e0f1011121314" // the checksum's input
)

// mitTCksums are from MIT krb5 src/lib/crypto/crypto_tests/t_cksums.c:
// the keyed checksums that RFC 3962 and RFC 4757 give no vectors for.
var mitTCksums = []struct {
	cksumtype int32
	usage     uint32
	key       string
	plaintext string
	sum       string
}{
	{HMACSHA196AES128, 3, "9062430c8cda3388922e6d6a509f5b7a", "eight nine ten eleven twelve thirteen", "01a4b088d45628f6946614e3"},
	{HMACSHA196AES256, 4, "b1ae4cd8462aff1677053cc9279aac30b796fb81ce21474dd3ddbcfea4ec76d7", "fourteen", "e08739e3279e2903ec8e3836"},
	{HMACMD5, 6, "f7d3a155af5e238a0b7a871a96ba2ab2", "seventeen eighteen nineteen twenty", "eb38cc97e2230f59da4117dc5859d7ec"},
}

// msNLMPNTOWFv1 is MS-NLMP section 4.2.2.1.2: NTOWFv1("Password"), which is
// the RC4-HMAC string-to-key of RFC 4757 section 2 (MD4 of UTF-16LE).
const (
	msNLMPPassword = "Password"
	msNLMPNTOWFv1  = "a4f49c406510bdcab6824ee7c30fd852"
)
