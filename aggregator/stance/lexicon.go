package stance

// Cue lexicons in English, Spanish, French and German. Entries are folded
// (lower case, accents removed) when the tables are built, so they may be
// written with or without accents. Entry syntax:
//
//	"word"            one token
//	"two words"       a phrase: consecutive tokens
//	"prefix*"         any token starting with prefix (single tokens only)
//	"@s"              inside a phrase: a subject mention, a pronoun or "you"
//
// The lexicons are cues, not rules: the model learns how much each one counts.

// cue is a category of cue words.
type cue uint8

// The cue categories. Their order is part of the feature layout (featureVersion).
const (
	cueCondolence   cue = iota // sympathy, grief, condolence
	cuePraise                  // praise, thanks, admiration, solidarity
	cueCritic                  // a reference to the subject's critics
	cueAttack                  // insults and rebukes (aimed at whoever the clause names)
	cueBlame                   // condemning the subject's act
	cueMotive                  // questioning motives: clout, PR, staged
	cueSarcasm                 // sarcasm markers
	cueNews                    // headline and news-sharing wording
	cueSpam                    // promotions and spam
	cueOfftopic                // markers of unrelated chatter
	cueQuestion                // question words
	cuePolite                  // polite framing that often precedes criticism
	cueHedge                   // a kind word that counts only before a contrast
	cueDefend                  // defence of the subject's choice
	cuePersonal                // a personal story ("I lost", "as a nurse")
	cueMeta                    // talk about the platform or the thread: moderation, cross-posts, content warnings
	cueRhetoric                // openers of rhetorical questions ("since when", "are we really")
	cueNegator                 // negation
	cueContrast                // contrast: the final clause decides
	cueWeakContrast            // contrast only at the start or end of a clause ("still", "though")
	cueYou                     // second person: addressing the subject (or critics)
	cuePronoun                 // third-person pronoun: refers to the subject
	cueBooster                 // intensifier
	numCues
)

var cueNames = [numCues]string{
	"condolence", "praise", "critic", "attack", "blame", "motive", "sarcasm",
	"news", "spam", "offtopic", "question", "polite", "hedge", "defend", "personal",
	"meta", "rhetoric", "negator", "contrast", "weakcontrast", "you", "pronoun", "booster",
}

var lexicon = map[cue][]string{
	cueCondolence: {
		// en
		"i'm crying", "im crying", "i cried", "made me cry", "making me cry", "in tears", "teared up",
		"tearing up", "bawling", "sobbing", "crying at", "crying in", "not crying",
		"me hizo llorar", "estoy llorando", "llore", "llorando", "se me saltaron las lagrimas",
		"j'ai pleure", "je pleure", "en larmes", "ca m'a fait pleurer",
		"musste weinen", "ich weine", "kommen die tranen", "geheult", "tranen in den augen",
		"sorry for your loss", "so sorry", "so so sorry", "im so sorry", "i'm so sorry", "deeply sorry",
		"condolence*", "rip", "rest in peace", "rest in love", "rest easy", "fly high", "sleep well",
		"heartbroken", "heartbreaking", "heartbreak", "heart breaks", "heart is broken", "broke my heart",
		"devastated", "devastating", "gutted", "shattered", "crushed", "gut-wrenching", "wrenching",
		"thoughts and prayers", "prayers", "praying", "pray", "prayer",
		"sending love", "sending strength", "sending hugs", "sending light", "sending you", "sending prayers",
		"hug", "hugs", "hugging", "thinking of you", "thinking of them", "thinking of her", "thinking of him",
		"holding you", "holding space", "with you", "here for you", "you're not alone", "not alone",
		"no words", "can't imagine", "cannot imagine", "can't even imagine", "my heart goes out",
		"heart goes out", "my heart", "peace and comfort", "comfort", "healing", "heal", "strength to",
		"take care", "take all the time", "so sad for", "sad for", "feel for", "feel so bad for",
		"nobody deserves", "no one deserves", "doesn't deserve", "didn't deserve", "tragic", "tragedy",
		"😢", "😭", "💔", "🙏", "🕊", "🕯", "🤍", "💙", "💜", "🫂", "🥺",
		// es
		"lo siento", "lo siento mucho", "cuanto lo siento", "mis condolencias", "pesame", "mi mas sentido",
		"descanse en paz", "descansa en paz", "dep", "qepd", "que en paz descanse", "fuerza", "mucha fuerza",
		"animo", "mucho animo", "abrazo", "abrazos", "un abrazo", "rezando", "oraciones", "oracion",
		"corazon roto", "me rompe el corazon", "desgarrador", "devastada", "devastado", "destrozada", "destrozado",
		"pienso en ti", "pensando en", "no estas sola", "no estas solo", "te acompano", "acompano en el sentimiento",
		"que te mejores", "recuperate", "pronta recuperacion", "mucho amor", "te mando",
		// fr
		"desole", "desolee", "tellement desole", "toutes mes condoleances", "condoleances", "repose en paix",
		"repose en paix", "courage", "bon courage", "beaucoup de courage", "force a", "de la force",
		"pensees", "je pense a", "on pense a", "coeur brise", "ca me brise le coeur", "dechirant",
		"bouleverse", "bouleversee", "effondre", "tu n'es pas seule", "tu n'es pas seul", "bon retablissement",
		"prompt retablissement", "gros bisous", "je t'embrasse", "soutien", "tout mon soutien", "de tout coeur",
		// de
		"beileid", "mein beileid", "herzliches beileid", "aufrichtiges beileid", "ruhe in frieden", "ruhe sanft",
		"kraft", "viel kraft", "ganz viel kraft", "alles liebe", "umarmung", "fuhl dich gedruckt", "gedruckt",
		"in gedanken", "gedanken sind bei", "bin in gedanken", "herzzerreissend", "unfassbar traurig", "so traurig",
		"erschuttert", "mitgefuhl", "gute besserung", "du bist nicht allein", "tut mir so leid", "tut mir leid",
		"es tut mir", "mitleid", "trauer", "traure",
	},
	cuePraise: {
		// en
		"brav*", "courag*", "inspir*", "admir*", "heroi*", "legendar*", "phenomenal", "outstanding",
		"bravest", "strongest", "classiest", "kindest", "best ever", "go @s", "let's go", "lets go",
		"vamos", "allez", "auf geht's", "🙌", "👏🏻", "🥹", "slay", "slayed", "ate", "iconic", "ilysm", "ily",
		"proud", "so proud", "brave", "bravery", "courage", "courageous", "strong", "strength", "respect",
		"respect to", "much respect", "admire", "admiration", "inspiring", "inspiration", "inspired",
		"legend", "queen", "king", "goat", "hero", "icon", "class act", "classy", "amazing", "incredible",
		"well done", "kudos", "good on", "good for", "thank you", "thanks", "grateful", "gratitude",
		"love you", "love u", "we love you", "love her", "love him", "love them", "love this",
		"genuine", "genuinely", "sincere", "honest", "honesty", "mature", "accountability", "owned it",
		"right call", "right thing", "right decision", "smart decision", "good call", "the right choice",
		"deserves better", "deserve better", "role model", "rooting for", "stay strong", "stand with",
		"standwith", "support", "supporting", "behind you", "on your side", "forgive", "forgiven",
		"growth", "grown", "handled it", "handled well", "integrity", "decent", "humane", "thoughtful",
		"kind", "kindness", "wholesome", "best", "❤", "💕", "💖", "💗", "💛", "💚", "🥰", "😍", "👑", "🐐", "💪", "🫶", "✨",
		// es
		"orgullo", "orgullosa", "orgulloso", "valiente", "valentia", "gracias", "muchas gracias", "respeto",
		"te admiro", "admiro", "admiracion", "reina", "crack", "idolo", "idola", "ejemplo", "un ejemplo",
		"te queremos", "te quiero", "te amo", "bien hecho", "olé", "ole", "grande", "enorme", "inspiracion",
		"honesta", "honesto", "sincera", "sincero", "madurez", "apoyo", "todo mi apoyo", "estamos contigo",
		"con ella", "con el", "perdon", "la perdono", "lo perdono", "bravo", "genia", "genio", "fuerte",
		// fr
		"fier", "fiere", "fierte", "courageuse", "courageux", "merci", "merci beaucoup", "respect",
		"j'admire", "admire", "admiration", "reine", "exemple", "un exemple", "chapeau", "bravo", "on t'aime",
		"je t'aime", "je vous aime", "bien joue", "honnete", "sincere", "sinceres", "digne", "dignite",
		"classe", "la classe", "soutien", "je te soutiens", "avec toi", "avec elle", "avec lui",
		"je lui pardonne", "pardonne", "grandi", "forte", "magnifique", "inspirant", "inspirante",
		// de
		"stolz", "so stolz", "mutig", "mut", "respekt", "grossen respekt", "danke", "vielen dank", "dankbar",
		"bewundere", "bewunderung", "vorbild", "stark", "starke", "klasse", "grossartig", "toll", "ehrlich",
		"ehrlichkeit", "aufrichtig", "wir lieben dich", "ich liebe dich", "hab dich lieb", "richtig so",
		"richtige entscheidung", "gut gemacht", "weiter so", "steh hinter", "stehen hinter", "hinter dir",
		"unterstutzung", "unterstutze", "verzeihe", "verziehen", "konigin", "held", "heldin", "wurdevoll", "anstandig",
	},
	cueCritic: {
		// en
		"hater*", "troll*", "critic*", "criticiz*", "criticis*", "people calling", "people saying",
		"people telling", "people hating", "people judging", "people bashing", "people attacking",
		"people trashing", "people mocking", "people complaining", "people digging", "people screaming",
		"people acting", "people who", "those people", "anyone saying", "anyone calling", "anyone who",
		"everyone calling", "everyone saying", "everyone who", "whoever", "those saying", "those calling",
		"the comments", "these comments", "the replies", "these replies", "comment section", "comments section",
		"the hate", "this hate", "hate in", "pile-on", "pile on", "mob", "y'all", "yall", "some of you",
		"some of y'all", "some people", "you people", "pundits", "armchair", "keyboard warriors",
		"keyboard", "the internet", "twitter mob", "twitter trolls", "the media", "tabloids", "detractors", "naysayers",
		"judging", "judge her", "judge him", "judge them", "shaming", "bullies", "bullying", "cyberbully*",
		"grown men", "grown adults", "men screaming", "crowd", "grief police", "peanut gallery", "if you think", "if you're", "nobody is forcing",
		"your comment", "your take", "your opinion", "this comment", "comments like this", "people like you",
		"what people call", "people call", "the ones who", "the guy who", "the same people",
		"this thread", "in this thread", "itt", "this sub", "this subreddit", "redditors", "commenters",
		"the commenters", "people here", "folks here", "people in here", "people on here", "quote tweets",
		"quote-tweets", "quote posts", "qrts", "reply guys", "top comment", "the top comment", "randos",
		"internet strangers", "strangers online", "the takes", "posters", "these people", "my mentions",
		"the parent comment", "this subthread", "tabloid*", "columnist*", "gossip*", "paparazz*", "pundit*",
		"meme page", "troll farm", "troll farms", "reply guy",
		// es
		"comentario*", "los haters", "haters", "los que critican", "quienes critican", "los que dicen", "los que juzgan",
		"la gente que", "gente que", "los comentarios", "estos comentarios", "criticando", "critican",
		"juzgando", "juzgan", "odiadores", "troles", "trolls", "acoso", "linchamiento", "algunos de ustedes",
		"este hilo", "la gente de aqui", "en los comentarios",
		// fr
		"commentaire*", "les haters", "les rageux", "rageux", "ceux qui", "celles qui", "les gens qui", "critiquent",
		"critiquer", "les commentaires", "ces commentaires", "jugent", "juger", "harcelement", "lynchage",
		"certains d'entre vous", "les trolls", "ce fil", "les gens ici", "dans les commentaires",
		// de
		"hasskomment*", "hassnachricht*", "hasspost*", "kommentar*", "hetz*", "hater", "hasser", "kritiker", "die leute die", "leute die", "alle die", "wer jetzt", "die kommentare",
		"diese kommentare", "kommentarspalte", "hetze", "hetzen", "shitstorm", "trolle", "urteilen", "verurteilen",
		"manche von euch", "einige von euch", "ihr alle", "dieser thread", "die leute hier",
		"in den kommentaren",
	},
	cueAttack: {
		// en
		"vile", "ashamed", "shame on", "shut up", "sit down", "get a life", "pathetic", "clueless",
		"disgusting", "disgraceful", "sick", "cruel", "cold", "heartless", "zero empathy", "no empathy",
		"unhinged", "the problem", "leave her alone", "leave him alone", "leave them alone", "let her grieve",
		"let him grieve", "let them grieve", "let her be", "let them be", "embarrassing themselves",
		"embarrassing yourselves", "gross", "toxic", "insane", "clowns", "idiots", "losers", "morons",
		"grow up", "touch grass", "do better", "be kind", "mind your business", "f*ck", "fuck", "screw",
		"jealous", "miserable", "bitter", "ghouls", "vultures", "monsters", "evil",
		"log off", "seek help", "get help", "ghoulish", "ghoul", "weirdos", "cesspool", "sewer", "scum",
		"be better", "the audacity", "rent free", "telling on themselves", "telling on yourself",
		// es
		"dejenla en paz", "dejadla en paz", "dejenlo en paz", "dejadlo en paz", "dejenlos en paz", "verguenza",
		"que verguenza", "asco", "dan asco", "pateticos", "patetico", "patetica", "callense", "callaos",
		"toxicos", "crueles", "sin empatia", "envidiosos", "amargados", "miserables", "idiotas",
		"buitres", "basura", "que pena dan",
		// fr
		"laissez-la tranquille", "laissez la tranquille", "laissez-le tranquille", "laissez le tranquille",
		"laissez-les tranquilles", "foutez-lui la paix", "foutez lui la paix", "honte", "pathetique",
		"pathetiques", "taisez-vous", "taisez vous", "toxiques", "minables", "cruels", "ignoble", "ignobles",
		"sans coeur", "degoutant", "immonde", "aigris", "jaloux", "bande de", "vautours", "pitoyables",
		// de
		"lasst sie in ruhe", "lasst ihn in ruhe", "lasst sie doch", "schamt euch", "schamen", "erbarmlich",
		"widerlich", "haltet die klappe", "klappe halten", "toxisch", "grausam", "herzlos", "ekelhaft",
		"peinlich", "armselig", "neidisch", "verbittert", "idioten", "geier", "abschaum",
	},
	cueBlame: {
		// en
		"tone deaf", "tone-deaf", "by her standards", "by his standards", "this is why", "exactly why",
		"brought this on", "asked for it", "deserved it", "karma", "lost all respect", "lost my respect",
		"selfish", "self-centered", "self-absorbed", "narcissist*", "tasteless", "inappropriate", "shameless",
		"disgrace", "disgraceful", "embarrassing", "irresponsible", "unacceptable", "inexcusable",
		"should have", "shouldn't have", "should've", "never should", "mistake", "wrong", "bad look",
		"bad taste", "poor taste", "questionable", "judgment", "judgement", "quitter", "quit", "weak",
		"excuse", "excuses", "cop-out", "coward", "cowardly", "let down", "failed", "failure", "fault",
		"blame", "to blame", "responsible", "greedy", "greed", "obscene", "liar", "lied", "lying", "hypocrite",
		"hypocrisy", "entitled", "arrogant", "out of touch", "unfollow*", "cancel", "cancelled", "done with",
		"over it", "shame on", "resign", "step down", "fire yourself", "owes an apology", "no excuse",
		"stayed private", "keep it private", "kept private", "in private", "belongs in", "not the place",
		"overshare", "too much", "tmi", "cringe", "yikes", "ick", "creepy", "weird", "distasteful",
		"deplorable", "racist", "offensive", "insensitive", "exploit*", "privacy", "boundaries",
		// es
		"egoista", "irresponsable", "verguenza", "una verguenza", "inaceptable", "error", "un error",
		"no debio", "no deberia", "deberia haber", "culpa", "su culpa", "mentiroso", "mentirosa",
		"hipocrita", "hipocresia", "cobarde", "excusa", "excusas", "decepcion", "decepcionante",
		"mal gusto", "de mal gusto", "fuera de lugar", "dimision", "dimita", "que dimita", "renuncia",
		"codicioso", "avaricia", "insensible", "privado", "en privado", "indecente", "lamentable",
		// fr
		"egoiste", "irresponsable", "inacceptable", "honteux", "honteuse", "une honte", "erreur",
		"n'aurait pas du", "aurait du", "faute", "sa faute", "menteur", "menteuse", "hypocrite",
		"hypocrisie", "lache", "excuse", "excuses bidon", "decevant", "decue", "decu", "de mauvais gout",
		"mauvais gout", "deplace", "demission", "qu'il demissionne", "qu'elle demissionne", "indecent",
		"indecente", "cupide", "en prive", "prive", "lamentable", "inadmissible",
		// de
		"egoistisch", "verantwortungslos", "inakzeptabel", "schande", "eine schande", "fehler",
		"hatte nicht", "hatte sollen", "schuld", "seine schuld", "ihre schuld", "lugner", "lugnerin",
		"heuchler", "heuchlerin", "heuchelei", "scheinheilig", "feige", "ausrede", "ausreden",
		"enttauschend", "enttauscht", "geschmacklos", "unangebracht", "rucktritt", "zurucktreten",
		"gierig", "gier", "privat", "unanstandig", "daneben", "unverschamt", "respektlos",
	},
	cueMotive: {
		// en
		"clout", "clout chasing", "for attention", "attention seeking", "attention seeker", "attention*",
		"engagement", "for likes", "for the likes", "for views", "for followers", "for the gram", "the gram",
		"content", "brand", "branding", "pr", "pr stunt", "pr move", "publicity", "publicity stunt", "stunt",
		"damage control", "monetize*", "staged", "fake", "performance", "performative", "photo op",
		"photoshoot", "photo shoot", "convenient", "conveniently", "timing", "coincidence", "cash grab",
		"money", "sponsors", "sponsorship", "relevant", "relevance", "crocodile tears", "got caught",
		"ring light", "scripted", "rehearsed", "acting", "for the camera", "the cameras", "spin",
		"optics", "marketing", "album drop", "album release", "sympathy", "pity", "narrative", "playing the victim",
		"victim card", "why would", "why would you", "why would anyone", "who does that", "who stages",
		"the algorithm", "for the algorithm", "sub goal", "brand deal", "sponsored", "sponsor",
		// es
		"protagonismo", "atencion", "llamar la atencion", "por likes", "por los likes", "para tener likes",
		"por seguidores", "postureo", "publicidad",
		"show", "montaje", "falso", "falsa", "lagrimas de cocodrilo", "por dinero", "oportunista",
		"marketing", "casualidad", "que casualidad", "visitas", "teatro", "puro teatro", "actuacion",
		"victimismo", "hacerse la victima",
		// fr
		"buzz", "faire le buzz", "l'attention", "attention", "coup de com", "coup de pub", "pub",
		"mise en scene", "opportuniste", "larmes de crocodile", "faux", "fausse", "cinema", "comedie",
		"pour les likes", "pour les vues", "pour les abonnes", "hasard", "comme par hasard", "marketing", "victimisation", "pourquoi",
		// de
		"aufmerksamkeit", "klicks", "fur klicks", "fur likes", "fur follower", "pr-gag", "pr gag", "inszenierung", "inszeniert",
		"krokodilstranen", "publicity", "show", "theater", "schauspiel", "fake", "opportunist", "zufall",
		"so ein zufall", "marketing", "reichweite", "mitleidsmasche", "opferrolle", "warum",
	},
	cueSarcasm: {
		// en
		"🙄", "🙃", "😏", "💅", "🤡", "🤔", "👏", "🍿", "so brave", "how brave", "very brave", "sure jan",
		"/s", "love that for", "oh good", "oh great", "oh wow", "wow", "what timing", "amazing timing",
		"perfect timing", "great timing", "congrats i guess", "i guess", "very sincere", "so sincere",
		"totally", "truly inspiring", "so inspiring", "such a touching", "can't wait for", "best acting",
		"i'm sure", "im sure", "right up until", "ah yes", "yeah right", "sure sure", "riveting",
		"how convenient", "very convenient", "so convenient", "nothing says", "said no one", "must be nice",
		"lol", "lmao", "😂", "🤣", "clap clap", "bravo", "stunning and brave", "groundbreaking",
		"participation trophy", "participation trophies", "oscar", "emmy", "award-winning", "masterclass",
		"inspiring stuff", "what a hero", "real hero", "so relatable", "relatable", "🤷",
		"how original", "so original", "truly groundbreaking", "big if true", "checks notes",
		"totally organic", "totally spontaneous", "totally unplanned", "what a coincidence",
		"color me shocked", "shocked i tell you", "who could have guessed", "💀", "🫠",
		// es
		"que valiente", "claro que si", "si claro", "si, claro", "que casualidad", "muy creible", "que oportuno",
		"jaja", "jajaja", "jajajaja", "bravo", "aplausos", "premio", "un oscar", "que conmovedor", "ajá", "aja",
		// fr
		"quel courage", "bien sur", "comme par hasard", "quelle coincidence", "tres credible", "mdr", "lol",
		"bravo", "un oscar", "un cesar", "quelle emotion", "trop mignon", "c'est beau",
		// de
		"wie mutig", "so mutig", "na klar", "klar doch", "was fur ein zufall", "wie praktisch", "sehr glaubwurdig",
		"haha", "hahaha", "bravo", "oscarreif", "einen oscar", "wie ruhrend", "na toll", "super gemacht",
	},
	cueNews: {
		// en
		"breaking", "per", "reports", "reported", "report", "says", "said", "according to", "statement",
		"announces", "announced", "announcement", "reveals", "revealed", "confirms", "confirmed", "update",
		"updates", "live updates", "via", "source", "sources", "read more", "article", "full text", "full story",
		"transcript", "story", "news", "headline", "press release", "spokesperson", "spokesman", "reps",
		"as of", "withdraws", "withdrew", "posts", "shares", "responds", "apologizes", "resigns",
		"cites", "cut", "to cut", "trending", "explainer", "thread", "timeline", "here's", "link",
		// es
		"ultima hora", "segun", "confirma", "confirmo", "anuncia", "anuncio", "comunicado", "informa",
		"noticia", "noticias", "fuentes", "articulo", "enlace", "hilo", "en directo", "tendencia",
		// fr
		"selon", "annonce", "confirme", "derniere minute", "communique", "info", "infos", "article",
		"lien", "sources", "en direct", "d'apres", "rapporte", "tendance", "fil",
		// de
		"laut", "eilmeldung", "bestatigt", "kundigt", "kundigte", "mitteilung", "berichtet", "bericht",
		"meldung", "quelle", "quellen", "artikel", "link", "liveticker", "zufolge", "erklarung",
	},
	cueSpam: {
		// en
		"click", "click here", "shop", "shop now", "deal", "deals", "off", "% off", "giveaway", "follow",
		"follow for", "subscribe", "link in bio", "dm", "dm me", "free", "win", "enter", "promo",
		"discount", "code", "sale", "mixtape", "stream", "hiring", "we're hiring", "apply", "earn",
		"crypto", "bitcoin", "investment", "income", "weight loss", "results", "limited", "today only",
		"tag", "tag 3", "check out", "my channel", "my page", "👉", "➡", "📲", "🎉", "🚀", "💰", "🔥",
		// es
		"sigueme", "siguenos", "gratis", "oferta", "ofertas", "sorteo", "descuento", "link en bio",
		"enlace en bio", "suscribete", "gana", "compra", "promocion",
		// fr
		"gratuit", "gratuite", "concours", "promo", "abonnez", "abonne-toi", "lien en bio", "reduction",
		"offre", "gagnez", "gagner", "achetez", "code promo",
		// de
		"gratis", "kostenlos", "gewinnspiel", "rabatt", "folgt", "folge mir", "link in der bio", "angebot",
		"gewinne", "gewinnen", "jetzt kaufen", "rabattcode", "abonniert",
	},
	cueOfftopic: {
		"unrelated", "off topic", "off-topic", "btw", "random", "anyway", "sorry to interrupt",
		"my phone", "my cat", "my dog", "my neighbour", "my neighbor", "my boss", "my coffee", "weather",
		"traffic", "wifi", "app", "update", "lunch", "monday", "the game", "game", "playoffs", "score",
		"happy birthday", "birthday", "anniversary", "my mom", "my kid",
		"nada que ver", "por cierto", "mi perro", "mi gato", "mi jefe", "el tiempo", "calor", "cumpleanos",
		"rien a voir", "au fait", "mon chien", "mon chat", "mon patron", "la meteo", "chaleur", "anniversaire",
		"ubrigens", "nebenbei", "mein hund", "meine katze", "mein chef", "das wetter", "hitze", "geburtstag",
		"ot",
	},
	cueMeta: {
		"mod", "mods", "moderator", "moderators", "mod team", "megathread", "crosspost", "crossposted",
		"cross-posted", "cross-post", "locked", "flagged", "unflagged", "removed by", "off-topic for",
		"this sub's rules", "rule 2", "the rules", "alt text", "content warning", "cw", "federation",
		"my instance", "server rules", "reposting", "repost", "archive link", "paywall",
		"paywalled", "edit:", "upvoted", "front page", "trending tab", "mute words", "muting",
		"moderacion", "moderadores", "hilo cerrado", "reglas", "moderateurs", "moderation", "fil verrouille",
		"moderatoren", "moderation", "thread geschlossen", "regeln",
	},
	cueRhetoric: {
		"are we really", "are we supposed", "since when", "in their right mind", "in her right mind",
		"in his right mind", "what kind of person", "what kind of people", "who even", "who hurt",
		"what is wrong with", "what's wrong with", "how is this", "how is that", "how is it", "is it too much",
		"do people really", "does anyone really", "why does everything", "why does every", "why is everything",
		"why is every", "how dare", "how hard is it", "who asked", "what did you expect", "when did we",
		"is nothing", "can we just", "can we not", "why are so many", "why do people", "isn't it funny",
		"isn't it ironic", "honest question", "serious question", "genuine question", "real question",
		"who does this", "who thinks", "who would",
		"en serio", "hacia falta", "a quien se le ocurre", "que le pasa a la gente", "desde cuando",
		"por que todo", "como es posible",
		"serieusement", "sans rire", "qui fait ca", "depuis quand", "c'est quoi le probleme", "comment peut-on",
		"fallait-il vraiment", "qu'est-ce qui ne va pas",
		"ernsthaft", "im ernst", "wer macht sowas", "wer macht so was", "seit wann", "was stimmt nicht mit",
		"muss man wirklich", "wie kann man", "geht's noch",
	},
	cueQuestion: {
		"what", "when", "where", "who", "which", "how", "is", "are", "was", "were", "does", "did", "do",
		"anyone know", "does anyone", "can someone", "can anyone", "has anyone", "is it", "is this",
		"que", "cuando", "donde", "quien", "quienes", "cual", "como", "alguien sabe", "sabeis", "saben",
		"quand", "ou", "qui", "comment", "quel", "quelle", "quelqu'un sait", "est-ce", "est ce que",
		"wann", "wo", "wer", "wie", "welche", "welcher", "weiss jemand", "kann jemand", "ist das",
	},
	cuePolite: {
		"with all due respect", "all due respect", "respectfully", "with respect", "kindly", "kind reminder",
		"gentle reminder", "no hate", "not hating", "just saying", "no offense", "no offence",
		"con todo respeto", "con respeto", "sin odio", "sin animo de ofender",
		"avec tout le respect", "avec respect", "sans haine", "sans vouloir offenser",
		"bei allem respekt", "mit respekt", "kein hass", "nichts gegen",
	},
	cueHedge: {
		"i wish her well", "i wish him well", "i wish them well", "wish her well", "wish him well",
		"wish them well", "wishing her", "wishing him", "wishing them", "god bless her", "god bless him",
		"i like her", "i like him", "i love her", "i love him", "love her", "love his", "love her music",
		"fan of", "big fan", "i'm a fan", "i really do", "truly", "genuinely", "honestly", "to be fair",
		"i get it", "i understand", "i know", "i respect", "appreciate the", "i'm sure", "sure",
		"le deseo lo mejor", "le deseo", "soy fan", "la quiero", "lo quiero", "sinceramente", "entiendo",
		"respeto", "de verdad", "je lui souhaite", "je suis fan", "je l'aime", "sincerement", "je comprends",
		"honnetement", "vraiment", "ich wunsche ihr", "ich wunsche ihm", "bin fan", "ich mag sie", "ich mag ihn",
		"ehrlich gesagt", "ich verstehe", "alles gute", "wirklich",
	},
	cueDefend: {
		"stop attacking", "stop hating", "stop bullying", "stop judging", "stop shaming", "stop harassing",
		"stop the hate", "enough with the hate", "dejen de atacar", "dejen de criticar", "basta de odio",
		"arretez de", "arretez avec", "hort auf", "hort endlich auf",
		"chin up", "head up", "keep your head up", "hang in there", "you got this", "you've got this",
		"kopf hoch", "halt durch", "du schaffst das", "animo", "tu puedes", "aguanta", "tiens bon", "courage a toi",
		"leave her alone", "leave him alone", "leave them alone", "let her grieve", "let him grieve",
		"let them grieve", "let her live", "let him live", "let them live", "her choice", "his choice",
		"their choice", "her body", "her loss", "her life", "his life", "their life", "owes you nothing",
		"owes nobody", "owe nobody", "owe anyone", "owes us nothing", "owes no one", "nothing to prove",
		"nothing left to prove", "no rulebook", "nobody gets to", "no one gets to", "not your business",
		"none of your business", "mind your own", "right call", "did the right thing", "made the right",
		"not a quitter", "not weak", "not selfish", "not fake", "nothing wrong", "nothing wrong with",
		"whatever helps", "however she", "however they", "if you don't like", "scroll past", "unfollow then",
		"just unfollow", "nobody is forcing", "be kind", "have some empathy", "some empathy", "grace",
		"give her some grace", "give him some grace", "give them grace", "second chance", "people change",
		"people grow", "we all make mistakes", "everyone makes mistakes", "she's human", "he's human",
		"they're human", "human being", "in her shoes", "in his shoes", "the math", "didn't hide",
		"dejenla", "dejadla", "su decision", "su vida", "su cuerpo", "no le debe nada", "no debe nada",
		"nada que demostrar", "es humana", "es humano", "todos cometemos errores", "segunda oportunidad",
		"laissez-la", "laissez la", "laissez-le", "son choix", "sa vie", "ne doit rien", "rien a prouver",
		"elle est humaine", "il est humain", "tout le monde fait des erreurs", "seconde chance",
		"lasst sie", "lasst ihn", "ihre entscheidung", "seine entscheidung", "ihr leben", "sein leben",
		"schuldet niemandem", "nichts zu beweisen", "ist auch nur ein mensch", "jeder macht fehler",
		"zweite chance",
	},
	cuePersonal: {
		"i lost", "we lost", "as someone who", "as a mom", "as a mother", "as a dad", "as a father",
		"as a nurse", "as a doctor", "as a former", "as an athlete", "i went through", "i've been there",
		"been there", "my son", "my daughter", "my baby", "my husband", "my wife", "happened to me",
		"i had a", "i was", "i used to", "years ago",
		"yo perdi", "perdi a", "como madre", "como padre", "yo tambien", "a mi me paso", "mi hijo", "mi hija",
		"j'ai perdu", "en tant que", "moi aussi", "mon fils", "ma fille", "j'ai vecu",
		"ich habe", "als mutter", "als vater", "ich auch", "mein sohn", "meine tochter", "ich war",
	},
	cueNegator: {
		"not", "no", "never", "nobody", "nothing", "none", "nor", "neither", "without", "cannot",
		"n't", "dont", "doesnt", "didnt", "isnt", "wasnt", "arent", "cant", "wont", "shouldnt", "wouldnt",
		"couldnt", "aint", "hardly",
		"nunca", "jamas", "nadie", "nada", "ni", "sin", "tampoco",
		"ne", "pas", "jamais", "personne", "rien", "sans", "aucun", "aucune",
		"nicht", "kein", "keine", "keinen", "keiner", "keinem", "nie", "niemals", "niemand", "nichts", "ohne",
	},
	cueContrast: {
		"but", "however", "although", "nevertheless", "nonetheless", "that said", "even so", "having said that",
		"pero", "sin embargo", "aun asi", "no obstante", "eso si", "ahora bien",
		"mais", "cependant", "pourtant", "quand meme", "toutefois", "neanmoins", "n'empeche", "par contre",
		"aber", "jedoch", "trotzdem", "dennoch", "allerdings", "nur leider",
	},
	cueWeakContrast: {
		"still", "though", "tho", "yet", "anyway", "anyways", "regardless", "except", "then again",
		"aunque", "igual", "de todas formas", "de todos modos", "en fin",
		"enfin", "bref", "en tout cas", "toujours",
		"doch", "obwohl", "sonst", "immerhin", "egal",
	},
	cueYou: {
		"you", "your", "you're", "youre", "yours", "yourself", "u", "ur", "ya", "you've", "you'll",
		"tu", "te", "ti", "contigo", "usted", "vos", "tus",
		"toi", "vous", "votre", "vos", "ton", "ta", "tes", "t'",
		"du", "dich", "dir", "dein", "deine", "deinen", "deiner", "euch", "eure",
	},
	cuePronoun: {
		"she", "her", "hers", "herself", "he", "him", "his", "himself", "they", "them", "their", "themselves",
		"she's", "he's", "they're", "she'd", "he'd",
		"ella", "el", "su", "sus", "lo", "la", "le",
		"elle", "il", "lui", "sa", "son", "ses", "leur", "eux",
		"sie", "er", "ihm", "ihn", "ihre", "ihren", "ihrer", "sein", "seine", "seinen", "seiner",
	},
	cueBooster: {
		"so", "very", "really", "truly", "absolutely", "totally", "completely", "extremely", "super",
		"incredibly", "deeply", "utterly", "literally",
		"muy", "tan", "tanto", "super", "realmente", "totalmente",
		"tres", "vraiment", "tellement", "trop", "si", "completement", "totalement",
		"sehr", "so", "wirklich", "total", "echt", "voll", "absolut", "unglaublich",
	},
}

// valenceExtra adds sentiment valences (VADER scale, -4..4) for words in
// Spanish, French and German, and a few English words VADER lacks. English
// words come from the VADER lexicon shipped with govader.
var valenceExtra = map[string]float32{
	// en additions
	"gutted": -2.5, "heartbreaking": -2.6, "gut-wrenching": -2.8, "wrenching": -2.5, "cringe": -2,
	"clout": -1, "cop-out": -1.5, "selfish": -2.5, "tasteless": -2.2, "shameless": -2.4,
	"self-centered": -2, "self-absorbed": -2, "grifter": -2.5, "unhinged": -2.2, "tone-deaf": -2,
	"queen": 1.5, "goat": 1.5, "legend": 1.8, "wholesome": 2.2, "condolences": -0.5, "rip": -0.5,
	// es
	"amor": 3, "quiero": 1.5, "queremos": 1.5, "amo": 2.5, "hermoso": 2.7, "hermosa": 2.7, "precioso": 2.5,
	"preciosa": 2.5, "bonito": 2, "bonita": 2, "genial": 2.8, "increible": 2.5, "maravilloso": 3,
	"maravillosa": 3, "feliz": 2.5, "alegria": 2.5, "gracias": 2, "orgullo": 2.3, "orgullosa": 2.3,
	"orgulloso": 2.3, "valiente": 2.4, "fuerte": 1.5, "fuerza": 1.5, "animo": 1.5, "apoyo": 1.8,
	"respeto": 1.8, "admiro": 2.2, "bravo": 2, "mejor": 1.5, "bueno": 1.8, "buena": 1.8, "excelente": 3,
	"perfecto": 2.7, "perfecta": 2.7, "sincero": 1.8, "sincera": 1.8, "honesta": 1.8, "honesto": 1.8,
	"triste": -2.1, "tristeza": -2.1, "dolor": -2.2, "terrible": -2.5, "horrible": -2.5, "asco": -2.8,
	"asqueroso": -3, "asquerosa": -3, "verguenza": -2.3, "vergonzoso": -2.5, "patetico": -2.5,
	"patetica": -2.5, "egoista": -2.5, "falso": -2.1, "falsa": -2.1, "mentira": -2.2, "mentiroso": -2.5,
	"odio": -3, "odiar": -2.6, "malo": -2.1, "mala": -2.1, "peor": -2.5, "error": -1.5, "culpa": -1.8,
	"devastada": -3, "devastado": -3, "destrozada": -2.8, "destrozado": -2.8, "desgarrador": -2.8,
	"cobarde": -2.5, "lamentable": -2.3, "ridiculo": -2, "ridicula": -2, "cruel": -2.8, "crueles": -2.8,
	"toxicos": -2.2, "idiotas": -2.5, "decepcion": -2.2, "decepcionante": -2.3, "indignante": -2.5,
	"miedo": -2, "muerte": -2.5, "perdida": -2, "llorar": -2, "lloro": -2, "siento": -0.5,
	// fr
	"amour": 3, "aime": 2.3, "t'aime": 2.5, "beau": 2.2, "belle": 2.2, "magnifique": 3,
	"formidable": 2.8, "merveilleux": 3, "heureux": 2.7, "heureuse": 2.7, "joie": 2.7, "merci": 2,
	"fier": 2.3, "fiere": 2.3, "courageuse": 2.4, "courageux": 2.4, "courage": 2, "soutien": 1.8,
	"force": 1.3, "respect": 1.8, "chapeau": 1.8, "digne": 1.8, "bien": 1.2, "meilleur": 1.8,
	"meilleure": 1.8, "parfait": 2.7, "sincere": 1.8, "honnete": 1.8, "classe": 1.8,
	"tristesse": -2.1, "douleur": -2.2, "affreux": -2.5,
	"degoutant": -2.8, "degoute": -2.5, "honte": -2.3, "honteux": -2.5, "pathetique": -2.5,
	"egoiste": -2.5, "faux": -1.8, "fausse": -1.8, "mensonge": -2.2, "menteur": -2.5, "haine": -3,
	"deteste": -2.8, "nul": -2, "nulle": -2, "pire": -2.5, "erreur": -1.5, "faute": -1.5,
	"bouleverse": -2.2, "bouleversee": -2.2, "effondre": -2.5, "dechirant": -2.8, "lache": -2.2,
	"ridicule": -2, "cruels": -2.8, "toxiques": -2.2, "minable": -2.3,
	"minables": -2.3, "decevant": -2.2, "decue": -2, "decu": -2, "scandaleux": -2.5, "indecent": -2.2,
	"ignoble": -3, "immonde": -3, "peur": -2, "mort": -2.5, "perte": -2, "pleurer": -2, "desole": -0.5,
	"desolee": -0.5,
	// de
	"liebe": 3, "lieben": 2.5, "schon": 0.5, "wunderschon": 3, "toll": 2.5, "grossartig": 3,
	"wunderbar": 3, "glucklich": 2.7, "freude": 2.7, "danke": 2, "stolz": 2.3, "mutig": 2.4,
	"stark": 1.8, "starke": 1.8, "kraft": 1.3, "respekt": 1.8, "klasse": 2, "super": 2.5, "gut": 1.8,
	"beste": 2, "perfekt": 2.7, "ehrlich": 1.5, "aufrichtig": 1.8, "wurdevoll": 2, "anstandig": 1.5,
	"traurig": -2.1, "trauer": -2.2, "schmerz": -2.2, "schrecklich": -2.7, "furchtbar": -2.7,
	"widerlich": -3, "ekelhaft": -3, "schande": -2.5, "peinlich": -2, "erbarmlich": -2.7,
	"egoistisch": -2.5, "falsch": -1.8, "luge": -2.2, "lugner": -2.5, "hass": -3, "hasse": -3,
	"schlecht": -2.2, "schlimm": -2.3, "schlimmste": -2.7, "fehler": -1.5, "schuld": -1.8,
	"erschuttert": -2.5, "unfassbar": -1, "herzzerreissend": -2.8, "feige": -2.2, "armselig": -2.5,
	"lacherlich": -2, "grausam": -2.8, "toxisch": -2.2, "enttauschend": -2.3, "enttauscht": -2.2,
	"geschmacklos": -2.3, "heuchler": -2.5, "angst": -2, "tod": -2.5, "verlust": -2, "weinen": -2,
	"leid": -1.2,
}
