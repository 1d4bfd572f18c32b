package demo

// Spanish, French, German and Portuguese fragments, written for the demo
// (none is a real post). Each language has the three stances; a reaction is
// one or two sentences of a pool plus an optional closer.

type langPools struct {
	support, supportGrief, defence, criticism, critPolite, critSarcasm, news, question []string
	politeLead                                                                         []string
	close                                                                              []string
}

var i18n = map[string]langPools{
	"es": {
		support: []string{
			"Lo siento muchísimo, Chrissy y John.", "Mucha fuerza para toda la familia.",
			"Descansa en paz, pequeño Jack.", "Les mando un abrazo enorme desde México.",
			"Gracias por hablar de la pérdida gestacional con tanta honestidad.",
			"Todo mi cariño para Chrissy, John, Luna y Miles.", "Que Dios les dé consuelo.",
			"Mi corazón está con ustedes.", "Ojalá encuentren paz en estos días tan duros.",
			"Jack siempre será parte de su familia.",
		},
		supportGrief: []string{
			"Qué dolor tan grande.", "Esto es desgarrador.", "No paro de llorar con esta noticia.",
			"Qué tristeza tan profunda.", "Es la peor pesadilla de cualquier madre.",
		},
		defence: []string{
			"Que la gente deje de juzgarla, está de luto.",
			"Los que critican las fotos no tienen corazón.",
			"Cada quien vive su duelo como puede, déjenla en paz.",
			"Qué vergüenza los comentarios contra ella.",
		},
		criticism: []string{
			"¿De verdad era necesario publicar esas fotos?", "Hay cosas que deberían quedarse en privado.",
			"Todo es contenido para ella, hasta esto.", "Subir fotos del hospital me parece de muy mal gusto.",
			"No entiendo esa necesidad de exponerlo todo.", "Esto es buscar atención, así de simple.",
		},
		critPolite: []string{
			"subir esas fotos fue de mal gusto.", "esto debió quedarse en la intimidad.",
			"no hacía falta mostrarlo al mundo.",
		},
		politeLead: []string{"Con todo respeto, pero", "Lo siento por ellos, pero", "No quiero sonar cruel, pero"},
		critSarcasm: []string{
			"Qué valiente compartir su momento más íntimo con millones de seguidores 🙄",
			"Claro, el fotógrafo tenía que estar ahí 🙃",
		},
		news: []string{
			"Chrissy Teigen y John Legend anuncian la pérdida de su bebé",
			"Última hora: Chrissy Teigen pierde a su bebé tras complicaciones en el embarazo",
			"Chrissy Teigen comparte fotos del hospital al anunciar la muerte de su hijo Jack",
		},
		question: []string{
			"¿Alguien sabe de cuántas semanas estaba?", "¿John Legend ha dicho algo aparte?",
			"¿Dónde se puede leer el comunicado completo?",
		},
		close: []string{"💔", "🙏", "❤️", "", "", "Un abrazo.", "🕊️"},
	},
	"fr": {
		support: []string{
			"Toutes mes pensées vont à Chrissy et John.", "Je suis tellement désolée pour eux.",
			"Repose en paix, petit Jack.", "Merci de parler aussi ouvertement du deuil périnatal.",
			"Beaucoup de courage à toute la famille.", "Tout mon amour à Chrissy, John, Luna et Miles.",
			"Je leur souhaite de trouver un peu de paix.", "Jack fera toujours partie de leur famille.",
		},
		supportGrief: []string{
			"C'est terrible, vraiment.", "Quelle horreur, mon cœur est brisé.", "Je n'arrive pas à retenir mes larmes.",
			"C'est le pire cauchemar d'un parent.", "Tellement triste.",
		},
		defence: []string{
			"Laissez-la faire son deuil comme elle veut, les critiques sont indécentes.",
			"Ceux qui jugent ces photos n'ont aucune empathie.",
			"Honte à ceux qui l'attaquent aujourd'hui.",
		},
		criticism: []string{
			"Pourquoi publier des photos pareilles ?", "Certaines choses devraient rester privées.",
			"Tout est bon pour faire le buzz.", "Mettre ça sur Instagram, franchement, c'est déplacé.",
			"Je ne comprends pas ce besoin de tout montrer.",
		},
		critPolite: []string{
			"ces photos n'avaient rien à faire sur Instagram.", "c'était déplacé.", "ça aurait dû rester privé.",
		},
		politeLead: []string{"Avec tout le respect que je leur dois,", "Je suis triste pour eux, mais", "Sans vouloir être méchante,"},
		critSarcasm: []string{
			"Quel courage de partager ce moment avec des millions d'abonnés 🙄",
			"Évidemment, il y avait un photographe dans la chambre 🙃",
		},
		news: []string{
			"Chrissy Teigen et John Legend annoncent la perte de leur bébé",
			"Chrissy Teigen a perdu son bébé après des complications",
			"John Legend et Chrissy Teigen en deuil de leur fils Jack",
		},
		question: []string{
			"Quelqu'un sait à combien de semaines elle était ?", "John Legend a-t-il publié quelque chose ?",
		},
		close: []string{"💔", "🙏", "❤️", "", "", "Courage.", "🕊️"},
	},
	"de": {
		support: []string{
			"Mein tiefes Beileid an Chrissy und John.", "Viel Kraft euch beiden.", "Ruhe in Frieden, kleiner Jack.",
			"Danke, dass sie so offen darüber spricht.", "Ich denke an die ganze Familie.",
			"Alles Liebe für Chrissy, John, Luna und Miles.", "Ich wünsche ihnen Ruhe und Zeit zum Trauern.",
		},
		supportGrief: []string{
			"Unendlich traurig.", "Das ist furchtbar.", "Mir bricht das Herz.", "Ich muss weinen, wenn ich das lese.",
		},
		defence: []string{
			"Wer sie jetzt dafür kritisiert, sollte sich schämen.",
			"Lasst sie doch trauern, wie sie will.",
			"Die Kommentare gegen sie sind widerlich.",
		},
		criticism: []string{
			"Muss man wirklich alles auf Instagram teilen?", "Solche Fotos gehören nicht ins Netz.",
			"Alles nur für die Aufmerksamkeit.", "Das hätte privat bleiben sollen.",
		},
		critPolite: []string{"das war geschmacklos.", "solche Bilder gehören nicht in die Öffentlichkeit."},
		politeLead: []string{"Bei allem Respekt, aber", "Tut mir leid für sie, aber", "Ich will nicht gemein sein, aber"},
		critSarcasm: []string{
			"Wie mutig, diesen Moment mit Millionen Followern zu teilen 🙄",
		},
		news: []string{
			"Chrissy Teigen und John Legend verlieren ihr Baby",
			"Chrissy Teigen teilt Fotos aus dem Krankenhaus nach dem Verlust ihres Sohnes",
		},
		question: []string{"Weiß jemand, in welcher Woche sie war?", "Gibt es eine offizielle Mitteilung?"},
		close:    []string{"💔", "🙏", "❤️", "", "", "🕯️"},
	},
	"pt": {
		support: []string{
			"Meus sentimentos, Chrissy e John.", "Muita força para vocês.", "Descanse em paz, pequeno Jack.",
			"Obrigada por falar sobre perda gestacional.", "Todo o meu carinho para essa família.",
			"Que vocês encontrem paz nesse momento.", "Jack sempre vai fazer parte da família.",
			"Um abraço apertado do Brasil.",
		},
		supportGrief: []string{
			"Que dor.", "Que notícia terrível.", "Estou arrasada por eles.", "Chorei lendo isso.",
		},
		defence: []string{
			"Quem está criticando devia ter vergonha.",
			"Deixem ela viver o luto do jeito dela.",
			"Que comentários cruéis contra ela, gente.",
		},
		criticism: []string{
			"Precisava mesmo postar essas fotos?", "Tem coisas que deveriam ficar na intimidade.",
			"Tudo vira conteúdo pra ela.", "Expor isso no Instagram é demais.",
		},
		critPolite: []string{"expor isso foi desnecessário.", "isso devia ter ficado na intimidade."},
		politeLead: []string{"Com todo respeito, mas", "Sinto muito por eles, mas"},
		critSarcasm: []string{
			"Que coragem mostrar tudo para milhões de seguidores 🙄",
		},
		news: []string{
			"Chrissy Teigen e John Legend anunciam a perda do bebê",
			"Chrissy Teigen perde bebê após complicações na gravidez",
		},
		question: []string{"Alguém sabe com quantas semanas ela estava?", "O John postou alguma coisa?"},
		close:    []string{"💔", "🙏", "❤️", "", "", "🕊️"},
	},
}
