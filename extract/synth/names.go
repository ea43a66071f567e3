package synth

// Reference lists the generator draws from. Weights are rough frequencies
// per 100,000 people in England and Wales, so very common names (Smith,
// Jones, Oliver, Mohammed) recur many times within one postcode sector.

type weighted struct {
	name string
	w    int
}

var maleGiven = []weighted{
	{"David", 900}, {"John", 880}, {"Michael", 800}, {"Paul", 620}, {"Andrew", 600},
	{"James", 780}, {"Robert", 560}, {"Richard", 500}, {"Mark", 480}, {"Peter", 470},
	{"Stephen", 450}, {"Christopher", 440}, {"William", 420}, {"Thomas", 400}, {"Daniel", 380},
	{"Matthew", 360}, {"Anthony", 300}, {"Ian", 280}, {"Steven", 260}, {"Gary", 240},
	{"Kevin", 230}, {"Alan", 220}, {"Brian", 200}, {"Simon", 200}, {"Jonathan", 190},
	{"Oliver", 420}, {"Jack", 360}, {"Harry", 320}, {"George", 340}, {"Noah", 240},
	{"Charlie", 220}, {"Jacob", 200}, {"Alfie", 180}, {"Freddie", 170}, {"Oscar", 170},
	{"Leo", 160}, {"Henry", 160}, {"Joseph", 240}, {"Samuel", 220}, {"Benjamin", 200},
	{"Edward", 190}, {"Alexander", 180}, {"Nicholas", 150}, {"Kenneth", 120}, {"Ronald", 110},
	{"Frederick", 80}, {"Albert", 70}, {"Alfred", 60}, {"Gerald", 60}, {"Dylan", 110},
	{"Ryan", 180}, {"Liam", 160}, {"Connor", 120}, {"Jamie", 140}, {"Lewis", 130},
	{"Tomasz", 40}, {"Piotr", 40}, {"Sean", 110}, {"Owen", 100}, {"Rhys", 90},
}

var femaleGiven = []weighted{
	{"Susan", 600}, {"Margaret", 560}, {"Sarah", 700}, {"Elizabeth", 500}, {"Patricia", 360},
	{"Jennifer", 330}, {"Catherine", 320}, {"Katherine", 200}, {"Helen", 420}, {"Julie", 380},
	{"Karen", 400}, {"Jacqueline", 260}, {"Deborah", 250}, {"Rebecca", 300}, {"Victoria", 280},
	{"Emma", 460}, {"Claire", 360}, {"Nicola", 340}, {"Joanne", 300}, {"Rachel", 300},
	{"Olivia", 380}, {"Amelia", 340}, {"Isla", 220}, {"Ava", 240}, {"Emily", 360},
	{"Sophie", 300}, {"Grace", 240}, {"Lily", 240}, {"Isabella", 200}, {"Mia", 200},
	{"Charlotte", 300}, {"Jessica", 300}, {"Hannah", 280}, {"Lucy", 280}, {"Chloe", 260},
	{"Samantha", 220}, {"Abigail", 160}, {"Eleanor", 160}, {"Dorothy", 120}, {"Joan", 180},
	{"Mary", 500}, {"Anne", 380}, {"Linda", 260}, {"Christine", 300}, {"Barbara", 200},
	{"Zoë", 90}, {"Zoe", 160}, {"Siobhan", 60}, {"Niamh", 70}, {"Agnieszka", 40},
	{"Anna", 200}, {"Laura", 300}, {"Amy", 280}, {"Gemma", 200}, {"Kirsty", 120},
}

// South Asian and Somali names, drawn more often in some districts.
var maleGivenSA = []weighted{
	{"Mohammed", 900}, {"Muhammad", 700}, {"Mohamed", 400}, {"Ahmed", 300}, {"Ali", 300},
	{"Abdi", 200}, {"Hassan", 200}, {"Imran", 150}, {"Rajesh", 120}, {"Amir", 150},
	{"Yusuf", 200}, {"Ibrahim", 200}, {"Omar", 200}, {"Arjun", 100}, {"Harpreet", 80},
}

var femaleGivenSA = []weighted{
	{"Fatima", 600}, {"Aisha", 500}, {"Maryam", 400}, {"Amina", 300}, {"Sadia", 150},
	{"Hodan", 150}, {"Priya", 150}, {"Zainab", 250}, {"Nadia", 150}, {"Asha", 150},
	{"Khadija", 200}, {"Hafsa", 150}, {"Ruqayyah", 80}, {"Simran", 100}, {"Noor", 150},
}

var surnames = []weighted{
	{"Smith", 1100}, {"Jones", 760}, {"Williams", 560}, {"Taylor", 440}, {"Brown", 440},
	{"Davies", 420}, {"Evans", 340}, {"Wilson", 320}, {"Thomas", 300}, {"Johnson", 290},
	{"Roberts", 280}, {"Robinson", 250}, {"Thompson", 250}, {"Wright", 250}, {"Walker", 240},
	{"White", 230}, {"Edwards", 230}, {"Hughes", 220}, {"Green", 220}, {"Hall", 220},
	{"Lewis", 210}, {"Harris", 210}, {"Clarke", 200}, {"Patel", 190}, {"Jackson", 190},
	{"Wood", 180}, {"Turner", 180}, {"Martin", 170}, {"Cooper", 170}, {"Hill", 170},
	{"Ward", 160}, {"Morris", 160}, {"Moore", 160}, {"Clark", 150}, {"Lee", 150},
	{"King", 150}, {"Baker", 150}, {"Harrison", 150}, {"Morgan", 150}, {"Allen", 140},
	{"James", 140}, {"Scott", 140}, {"Phillips", 130}, {"Watson", 130}, {"Davis", 130},
	{"Parker", 130}, {"Price", 130}, {"Bennett", 120}, {"Young", 120}, {"Griffiths", 120},
	{"Mitchell", 120}, {"Kelly", 120}, {"Cook", 120}, {"Carter", 120}, {"Richardson", 110},
	{"Bailey", 110}, {"Collins", 110}, {"Bell", 110}, {"Shaw", 110}, {"Murphy", 110},
	{"Miller", 100}, {"Cox", 100}, {"Richards", 100}, {"Marshall", 100}, {"Anderson", 100},
	{"Simpson", 90}, {"Ellis", 90}, {"Adams", 90}, {"Wilkinson", 90}, {"Foster", 90},
	{"Chapman", 80}, {"Powell", 80}, {"Webb", 80}, {"Rogers", 80}, {"Gray", 80},
	{"Mason", 80}, {"Hunt", 80}, {"Campbell", 80}, {"Matthews", 80}, {"Owen", 80},
	{"Palmer", 70}, {"Holmes", 70}, {"Mills", 70}, {"Barnes", 70}, {"Knight", 70},
	{"Lloyd", 70}, {"Butler", 70}, {"Russell", 70}, {"Fisher", 60}, {"Stevens", 60},
	{"O'Brien", 60}, {"O'Connor", 50}, {"Byrne", 40}, {"McCarthy", 40}, {"Fitzgerald", 30},
	{"Smith-Jones", 10}, {"Lloyd-Williams", 10}, {"Nowak", 30}, {"Kowalski", 20}, {"Wiśniewski", 10},
	{"Brontë", 3}, {"Müller", 10}, {"Nguyen", 20}, {"Chen", 30}, {"Okafor", 20},
}

var surnamesSA = []weighted{
	{"Khan", 700}, {"Ali", 600}, {"Ahmed", 600}, {"Hussain", 500}, {"Begum", 500},
	{"Patel", 500}, {"Singh", 400}, {"Kaur", 300}, {"Mohamed", 300}, {"Hassan", 250},
	{"Abdi", 200}, {"Farah", 150}, {"Warsame", 100}, {"Iqbal", 150}, {"Shah", 200},
	{"Akhtar", 150}, {"Rahman", 200}, {"Islam", 150}, {"Mahmood", 120}, {"Chowdhury", 100},
}

// nicknames maps a formal given name to the short forms people use.
var nicknames = map[string][]string{
	"Robert": {"Bob", "Rob", "Bobby"}, "William": {"Bill", "Will", "Billy"},
	"Elizabeth": {"Liz", "Beth", "Lizzie"}, "Margaret": {"Maggie", "Peggy", "Marg"},
	"Catherine": {"Kate", "Cathy"}, "Katherine": {"Kate", "Katie", "Kathy"},
	"James": {"Jim", "Jimmy", "Jamie"}, "Richard": {"Rich", "Dick", "Richie"},
	"Michael": {"Mike", "Mick"}, "Thomas": {"Tom", "Tommy"}, "Christopher": {"Chris"},
	"Jonathan": {"Jon", "Jonny"}, "Anthony": {"Tony"}, "Edward": {"Ed", "Ted", "Eddie"},
	"Alexander": {"Alex", "Sandy"}, "Rebecca": {"Becky", "Becca"}, "Jennifer": {"Jenny", "Jen"},
	"Susan": {"Sue", "Susie"}, "Patricia": {"Pat", "Trish"}, "Daniel": {"Dan", "Danny"},
	"Joseph": {"Joe", "Joey"}, "Samuel": {"Sam"}, "Matthew": {"Matt"}, "Andrew": {"Andy", "Drew"},
	"David": {"Dave", "Davey"}, "Stephen": {"Steve"}, "Steven": {"Steve"}, "Victoria": {"Vicky", "Tori"},
	"Deborah": {"Debbie", "Deb"}, "Samantha": {"Sam", "Sammy"}, "Abigail": {"Abbie", "Abby"},
	"Charlotte": {"Charlie", "Lottie"}, "Oliver": {"Ollie"}, "Jacob": {"Jake"},
	"Benjamin": {"Ben"}, "Nicholas": {"Nick", "Nicky"}, "Peter": {"Pete"}, "Kenneth": {"Ken", "Kenny"},
	"Ronald": {"Ron", "Ronnie"}, "Gerald": {"Gerry"}, "Frederick": {"Fred", "Freddie"},
	"Albert": {"Bert", "Albie"}, "Alfred": {"Alf", "Alfie"}, "Dorothy": {"Dot", "Dottie"},
	"Eleanor": {"Ellie", "Nell"}, "Amelia": {"Millie", "Amy"}, "Isabella": {"Bella", "Izzy"},
	"Jacqueline": {"Jackie"}, "Christine": {"Chris", "Chrissie"}, "Henry": {"Harry", "Hal"},
	"Joanne": {"Jo"}, "Nicola": {"Nicky"}, "Jessica": {"Jess"}, "Hannah": {"Annie"},
	"Mohammed": {"Mo"}, "Muhammad": {"Mo"}, "Barbara": {"Babs"},
}

var titlesMale = []string{"Mr", "Mr", "Mr", "Mr", "Dr", "Rev"}
var titlesFemale = []string{"Mrs", "Ms", "Miss", "Mrs", "Ms", "Dr"}

// district is one postcode district of the region.
type district struct {
	code     string
	town     string
	locality string
	weight   int
	saShare  int // per cent of people drawn from the South Asian/Somali lists
}

var districts = []district{
	{"BS1", "Bristol", "Redcliffe", 30, 15},
	{"BS2", "Bristol", "St Pauls", 45, 30},
	{"BS3", "Bristol", "Bedminster", 70, 8},
	{"BS4", "Bristol", "Knowle", 70, 8},
	{"BS5", "Bristol", "Easton", 90, 45},
	{"BS6", "Bristol", "Redland", 60, 10},
	{"BS7", "Bristol", "Horfield", 70, 8},
	{"BS8", "Bristol", "Clifton", 40, 5},
	{"BS13", "Bristol", "Hartcliffe", 50, 4},
	{"BS16", "Bristol", "Fishponds", 90, 8},
	{"BS20", "Portishead", "", 40, 2},
	{"BS21", "Clevedon", "", 30, 2},
	{"BS23", "Weston-super-Mare", "", 60, 3},
	{"BS34", "Bristol", "Bradley Stoke", 60, 6},
	{"BS37", "Yate", "Chipping Sodbury", 45, 3},
}

var streetNames = []string{
	"High", "Church", "Station", "Victoria", "Park", "Main", "Mill", "School", "Queen's",
	"King's", "North", "South", "West", "Manor", "Grove", "Springfield", "Chestnut", "Oak",
	"Elm", "Ash", "Beech", "Orchard", "Meadow", "Windsor", "Albert", "Stanley", "Richmond",
	"Gloucester", "Cheltenham", "Ashley", "Stapleton", "Filton", "Whiteladies", "Coronation",
	"Sandy Park", "St Mark's", "St John's", "Lodge", "Brook", "Cherry", "Greenbank", "Chelsea",
	"Devon", "Somerset", "Mendip", "Severn", "Avon", "Frome", "Clifton", "Dean",
}

var streetTypes = []string{"Road", "Street", "Lane", "Avenue", "Close", "Way", "Drive", "Gardens", "Crescent", "Place", "Hill", "Terrace"}

// postcode unit letters (the inward code never uses C, I, K, M, O, V).
const unitLetters = "ABDEFGHJLNPQRSTUWXYZ"
