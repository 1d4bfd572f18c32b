package demo

// English fragments. Every text here was written for the demo data set: none
// is a real post, none is copied from the shared development set or from the
// classifier's training data (demo_test.go checks the overlap). Fragments are
// combined by text.go into thousands of distinct reactions; a fragment's pool
// fixes the stance the generator intends, following the labelling rule of
// the stance data set (support includes condolence worded negatively and
// attacks on the critics; criticism includes polite and sarcastic criticism;
// a mixed message takes its final stance).

// Support: openers that stand alone as a sentence.
var enSupportOpen = []string{
	"Oh no.", "Oh my god.", "Oh Chrissy.", "Just saw this.", "Waking up to this news.",
	"This one hurts.", "No words.", "Ugh.", "Oh, sweet baby Jack.", "Can't believe this.",
	"My god.", "Just heard.", "Oh man.", "Had to step away from my screen for a bit.",
	"Reading this on the train and fighting tears.", "Wow.", "Oof.", "Oh, honey.",
	"Just opened the app and saw this.", "Horrible news tonight.",
}

// Support: condolence and sympathy.
var enSupportCore = []string{
	"Sending so much love to Chrissy, John, Luna and Miles.",
	"My heart is with their whole family tonight.",
	"I am so sorry for your loss.",
	"Rest in peace, little Jack.",
	"Holding all four of you in my thoughts.",
	"Wishing them nothing but peace and time to heal.",
	"Love to Chrissy and John, and to baby Jack.",
	"Thinking of this family today.",
	"I hope they are surrounded by people who love them right now.",
	"So much love to you both.",
	"Praying for Chrissy and John.",
	"May Jack rest peacefully.",
	"Grieving with you from very far away.",
	"You are both in my prayers tonight.",
	"Sending the biggest, gentlest hug to Chrissy.",
	"Take all the time you need, Chrissy.",
	"I hope the world is gentle with them this week.",
	"Nobody deserves this, and certainly not two people who give so much.",
	"Lit a candle for little Jack this evening.",
	"Wishing John and Chrissy strength for the days ahead.",
	"Jack was loved so much, you can see it.",
	"Luna and Miles are lucky to have parents this loving.",
	"Hug your babies, everyone. Love to the Legends.",
	"All my love to this beautiful family.",
	"Chrissy, you did nothing wrong. Be kind to yourself.",
	"The look on John's face in that picture. Love to him too.",
	"Wrapping this family in love.",
	"Hoping they get all the rest and quiet they need.",
	"Such a gentle, loving post about their boy.",
	"Jack will always be part of their family.",
}

// Support: grief worded with negative words (support, hard for a sentiment
// lexicon).
var enSupportGrief = []string{
	"This is absolutely devastating.",
	"I'm shattered for them.",
	"This is so, so sad.",
	"My heart is broken for this family.",
	"I can't stop crying.",
	"Gutted. Just gutted for them.",
	"This is every parent's worst nightmare.",
	"I feel sick reading this, poor Chrissy.",
	"What a horrible, horrible thing to go through.",
	"This news wrecked me.",
	"Devastating news, I'm so sorry.",
	"It hurts just to look at those pictures.",
	"Crying at my desk over this.",
	"The pain in that post is unbearable.",
	"Life can be so cruel.",
	"There is nothing worse than this. Nothing.",
	"I'm sick to my stomach for her.",
	"This broke me.",
	"Awful, awful news.",
	"The rawness of that photo destroyed me.",
}

// Support: thanks for sharing, awareness of pregnancy loss.
var enSupportThanks = []string{
	"Thank you for talking about this so openly.",
	"Thank you for showing the reality of pregnancy loss.",
	"Posting this will help so many women who thought they had to grieve in silence.",
	"Her honesty is going to make someone feel less alone today.",
	"So much respect for sharing something this painful.",
	"Pregnancy loss has been hidden for far too long and she just changed that for a lot of people.",
	"The photos are raw and real and I'm glad she posted them.",
	"This is what loss actually looks like and people need to see it.",
	"Brave and beautiful. Thank you, Chrissy.",
	"I have never seen someone this famous be this honest about loss.",
	"She just gave thousands of grieving parents permission to talk about their babies.",
	"Her post said what I never could about our son.",
	"Normalising this conversation matters so much.",
	"The courage it took to post that. Wow.",
	"Showing the hard parts is a gift to everyone who has been there.",
}

// Support: personal stories, assembled from three parts.
var enPersonalLoss = []string{
	"We lost our son at %d weeks back in %d.",
	"We lost our daughter at %d weeks in %d.",
	"My sister lost her baby at %d weeks in %d.",
	"I had a loss at %d weeks in %d.",
	"Our first was born still at %d weeks, %d.",
}

var enPersonalMiddle = []string{
	"Nobody talked about it back then.",
	"I never got a single photo and I regret it every day.",
	"It took me years to say his name out loud.",
	"People acted like it never happened.",
	"I wish someone famous had talked about it then.",
	"The silence afterwards was the worst part.",
	"We still say her name at dinner.",
	"The nurses took pictures for us and they are my most precious thing.",
}

var enPersonalClose = []string{
	"Chrissy, John, I'm holding you in my heart.",
	"It gets softer, I promise.",
	"You will carry Jack with you always.",
	"Sending them every bit of love I have.",
	"Thank you for saying his name.",
	"Be gentle with yourselves.",
}

// Support: comments of well-known accounts (fictional wording: the demo
// never puts words in a real person's mouth).
var enSupportCeleb = []string{
	"Sending you both all my love. Our family is holding yours close.",
	"Chrissy, John, we love you. Here for anything you need, always.",
	"Heartbroken for my friends. Jack will always be loved.",
	"No words, just love. Call me whenever.",
	"Holding you so tight from across the country. Love you both.",
	"My heart is with you, mama. Jack is so loved.",
	"Sending strength and love to the whole Legend family.",
	"Our hearts are broken with yours. Love you, C and J.",
}

// Support: defence of the subject by attacking the critics (not a reply).
var enSupportDefence = []string{
	"The people judging her for posting those photos need to log off.",
	"Grief doesn't follow your rules. Leave her alone.",
	"Anyone criticising a grieving mother today should be ashamed of themselves.",
	"Imagine seeing a woman lose her baby and your first thought is to complain about the pictures.",
	"The replies under her post are disgusting. Let her grieve however she wants.",
	"If the photos make you uncomfortable, scroll past. It's not about you.",
	"People calling this attention seeking are cruel and wrong.",
	"Her account, her son, her grief. Nobody asked for your opinion.",
	"Some of you have no empathy whatsoever.",
	"Stop policing how women mourn.",
	"Hospitals offer bereavement photos to parents all the time. The hate is pure ignorance.",
	"The trolls going after Chrissy today are the lowest of the low.",
	"Whoever is sending her hate right now, get a life.",
	"Zelda Williams said it perfectly: leave her alone.",
	"Every single person mocking her photos should take a long look in the mirror.",
	"Can the critics give it a rest for once? She lost her child.",
	"Judging how someone grieves their baby says everything about you and nothing about her.",
	"The pile-on against her is vile.",
}

// Support: a defender answering a critic, with the critic as the target.
var enDefenceReply = []string{
	"she just lost her son. Have some decency.",
	"why is this the hill you want to die on? Let her grieve.",
	"hospitals literally offer bereavement photos. You don't get to decide this.",
	"nobody forced you to look.",
	"this is such a cruel take.",
	"read the room. A baby died.",
	"imagine typing that to a mother who just lost her baby.",
	"you could have just kept scrolling.",
	"that's gross. She owes nobody her silence.",
	"what a heartless thing to say.",
	"she can grieve however she needs to. Your comfort isn't the point.",
	"seriously? Today of all days?",
	"the only thing inappropriate here is your comment.",
	"you sound exhausting. Leave her be.",
	"plenty of parents take photos. Your discomfort is your problem.",
	"delete this.",
}

var enDefenceTail = []string{
	"Shame on you.", "Do better.", "Seriously.", "Unbelievable.", "Wow.", "Jesus.",
	"Have a heart.", "Let her be.", "",
}

// Criticism: privacy, "should not have posted it".
var enCritPrivacy = []string{
	"Some things should stay private.",
	"Why would you post photos of that?",
	"I don't understand putting this on Instagram.",
	"This should have stayed between them and their family.",
	"Posting hospital photos of this is just too much.",
	"Not everything needs to be shared with millions of strangers.",
	"Those pictures were really inappropriate.",
	"I wish she had kept this off social media.",
	"There's such a thing as oversharing and this was it.",
	"Who takes pictures at a moment like that and then posts them?",
	"Grieve privately. Posting it for likes is strange.",
	"This did not need to be public.",
	"Posting those photos was a mistake.",
	"I can't get behind putting that online.",
	"That post was way over the line.",
	"Photos like that don't belong on a public feed.",
	"It's weird to broadcast something like this.",
}

// Criticism: polite or sympathetic lead-ins whose final stance is criticism.
var enCritPoliteLead = []string{
	"With respect,", "I mean this kindly, but", "Not trying to be mean, but",
	"I feel for them, truly, but", "Sorry for their loss, but", "Condolences to the family, though honestly",
	"Wishing them healing, but", "I'm sure they're hurting, but", "Respectfully,",
	"Sending love, really. Still,", "I'm sad for them. That said,", "Hate to say it, but",
	"Unpopular opinion, but", "I know I'll get downvoted, but",
}

// Criticism: sarcasm aimed at the subject.
var enCritSarcasm = []string{
	"So brave to share the most private moment of your life with the entire internet",
	"Nothing says mourning like perfect lighting",
	"Can't wait for the sponsored follow-up post",
	"Of course there was a photographer in the room. Of course",
	"Ah yes, grief, brought to you by Instagram",
	"Truly inspiring how every moment becomes content",
	"Love how she makes sure we see everything. Very humble",
	"Who needs privacy when you have engagement",
	"Another day, another Chrissy Teigen moment for the timeline",
	"Wonder how many likes it got. Oh wait, that's the whole point",
	"Such a candid, natural photo. Definitely not staged",
	"Bold move, turning a hospital room into a photo shoot",
	"Great content as always, Chrissy",
	"Can't even lose a baby without a press release, huh",
	"I'm sure the monochrome edit was a grief decision",
	"Waiting for the Netflix special",
}

var enSarcasmOpen = []string{"Wow.", "Sure.", "Right.", "Lol.", "Hmm.", "Okay.", "Riiight.", "Yeah.", ""}
var enSarcasmEnd = []string{" 🙄", " 🙃", " 😬", " 👏👏", ". /s", ".", "...", " lmao", " 🙄🙄"}

// Criticism: motives questioned.
var enCritMotive = []string{
	"Everything is content for her. Everything.",
	"This is attention seeking, plain and simple.",
	"She lives for the attention, even now.",
	"Clout chasing at its lowest.",
	"She's always needed the spotlight.",
	"Monetising tragedy is a new low.",
	"Posting this was about her brand, not about Jack.",
	"It's always a performance with those two.",
	"Some people will do anything for engagement.",
	"She courts outrage on purpose, and this is no different.",
	"Turning this into a photo op tells you all you need to know about her.",
	"Pure PR move. I said what I said.",
	"Calculated, like everything she posts.",
}

// Criticism: critics answering defenders.
var enCritReply = []string{
	"Nobody is attacking her. We're saying the photos were a bad idea.",
	"You can be sad for her and still think posting it was wrong.",
	"She posted it publicly. Public posts get public opinions.",
	"If she didn't want opinions she wouldn't have posted it to millions.",
	"Not everyone who disagrees is a troll. It was tasteless.",
	"Disagreeing with her choice isn't hate. The post was too much.",
	"Calling everyone a troll doesn't make those photos okay.",
	"She chose to make it public. I'm allowed to find that off.",
}

// Neutral: news headlines (no opinion).
var enNewsHeadline = []string{
	"Chrissy Teigen and John Legend announce the loss of their baby son",
	"Chrissy Teigen reveals pregnancy loss in Instagram post",
	"John Legend and Chrissy Teigen share news of pregnancy loss after complications",
	"Teigen, who had been hospitalised for bleeding, says the couple lost their third child",
	"Chrissy Teigen and John Legend say they lost baby Jack",
	"Teigen shares black-and-white hospital photos with the announcement",
	"Chrissy Teigen loses baby after pregnancy complications, posts statement",
	"Chrissy Teigen thanks doctors and nurses in post about son Jack",
	"Teigen and Legend lose son Jack halfway through pregnancy",
	"Chrissy Teigen announces she and John Legend lost their son",
}

// Neutral: headlines of the following days (the debate, the defenders).
var enNewsHeadlineLate = []string{
	"Chrissy Teigen's post about losing son Jack draws wide response",
	"Teigen photos of hospital loss spark debate over sharing grief online",
	"Zelda Williams responds to critics of Chrissy Teigen's photos",
	"Stars send condolences to Chrissy Teigen and John Legend",
	"Why some parents photograph a pregnancy loss, explained",
}

// The Billboard Music Awards, 14 October 2020 (US time).
var enAwardsNews = []string{
	"John Legend dedicates Billboard Music Awards performance to Chrissy Teigen",
	"John Legend performs 'Never Break' at the Billboard Music Awards, dedicates it to Chrissy",
	"Legend's first performance since the couple's loss opens with a dedication to Teigen",
}

var enAwardsSupport = []string{
	"That performance tonight. John singing for Chrissy had me in tears.",
	"John dedicating that song to Chrissy was the most beautiful thing on TV this year.",
	"Watching John perform tonight after everything they've been through. So much love to them.",
	"Never Break hits completely differently now. Love to John and Chrissy.",
	"He got through the whole song for her. Sending them both so much love.",
}

// Neutral: emotive headlines (strong sentiment, no stance toward the
// subject: hard for a sentiment lexicon).
var enNewsEmotive = []string{
	"Heartbreaking: Chrissy Teigen loses baby boy",
	"Devastating news from Chrissy Teigen and John Legend",
	"Tragic: Teigen and Legend lose son Jack after complications",
	"Shock and grief as Chrissy Teigen reveals loss of baby",
	"Tearful post: Chrissy Teigen says goodbye to son Jack",
	"Heart-wrenching photos: Teigen shares pregnancy loss",
}

var enNewsPrefix = []string{"", "", "", "BREAKING: ", "News: ", "Update: ", "Via AP: ", "Reported today: "}

// Neutral: factual questions.
var enNeutralQuestion = []string{
	"Does anyone know how far along she was?",
	"Was she still in the hospital when she posted this?",
	"Has John posted anything separately?",
	"What complications was she dealing with, does anyone know?",
	"Is there an official statement anywhere besides Instagram?",
	"When did this happen exactly?",
	"Did the post say which hospital?",
	"Are the photos in the main post or only in stories?",
	"How long had she been on bed rest?",
	"Is this the same pregnancy she announced in August?",
	"Did any outlet get a statement from their rep?",
	"What time did she post it?",
}

// Neutral: unrelated chatter and meta comments.
var enNeutralChatter = []string{
	"Anyone else's feed full of debate clips today?",
	"Tangent, but the debate last night was a mess.",
	"Is the app crashing for anyone else?",
	"Mods, can we get a pinned thread for this?",
	"Please keep the comments civil and report anything that breaks the rules.",
	"First time posting here, hi all.",
	"Dog just stole my sandwich, back in a sec.",
	"Reminder that this thread will be locked if it gets out of hand.",
	"Does anyone know a good podcast about grief? Asking for a friend.",
	"Why is this showing up in my recommended? I follow nobody famous.",
	"Weather is insane here today.",
	"Test, is my comment showing?",
	"Saving this thread to read later.",
	"Link is broken for me, does anyone have an archive?",
}

// Neutral: spam full of positive words.
var enNeutralSpam = []string{
	"🔥 Earn $500 a day from home, no experience needed!! DM me 🔥",
	"Best deals on baby clothes 💕 shop now",
	"Follow me for daily celebrity news!!! ⭐⭐⭐",
	"Crypto giveaway happening NOW 🚀🚀 link in bio",
	"Amazing results with this one supplement!!! Check my profile ✨",
	"I made $3,000 this week with this app, ask me how 😍",
	"Love this!! Check out my page for amazing giveaways 🎁🎁",
	"Beautiful!! Get 50% off personalised jewellery today only 💍",
	"Wonderful post! Boost your followers fast with our service 💯",
}

// Neutral: opinions about something else (media, healthcare, platforms).
var enNeutralOther = []string{
	"The outlets turning this into clickbait are gross.",
	"Hospitals need better bereavement support for everyone, not just celebrities.",
	"Maternal healthcare in this country is a disgrace.",
	"Instagram putting this between two ads is bleak.",
	"The tabloid comment sections are a sewer as usual.",
	"Paparazzi outlets should leave the hospital alone.",
	"Whoever designed this app's trending tab should be fired.",
	"Why does every news site autoplay videos now? Infuriating.",
}

// Hacker News flavour: longer, analytical, fewer emoji.
var enHNSupport = []string{
	"I think it is healthy that pregnancy loss is finally discussed openly, and a post like hers does more for that than any campaign.",
	"My wife and I went through this. Seeing someone with her reach say it plainly made a real difference to people I know.",
	"Whatever one thinks of celebrity culture, sharing this took courage and I hope the family gets some peace.",
	"The people arguing about whether she should have posted are missing that this is how many parents cope. Good on her.",
	"Bereavement photography is a long tradition in hospitals. She did nothing unusual, and the backlash is unkind.",
}

var enHNCriticism = []string{
	"Public figures curate everything they post; hard for me to read this as anything other than brand management.",
	"I am sorry for them, but I think posting those photos publicly was a poor decision and sets an odd norm.",
	"This is the logical end of the influencer economy: even a loss becomes part of the feed.",
	"Sympathy aside, choosing to publish hospital photos to tens of millions of followers invites exactly this debate.",
}

var enHNNeutral = []string{
	"Is this on topic for HN? Seems like celebrity news.",
	"Flagged as off topic, though the discussion about social platforms and grief is interesting.",
	"There was a paper a few years ago on how people disclose pregnancy loss on social media; anyone have the link?",
	"The more interesting question is how platforms should rank this kind of content.",
	"Genuinely curious how moderation teams handle posts like this at scale.",
	"Related: the engagement on this post probably broke some internal records.",
}

// Short reactions (support unless noted).
var enShortSupport = []string{
	"💔", "RIP Jack 💔", "❤️❤️❤️", "So sorry 🙏", "Love you Chrissy", "💔💔", "Rest easy Jack",
	"Heartbroken", "Sending love", "🙏🏼", "Oh no 💔", "So sad 😢",
}

var enSupportClose = []string{
	"❤️", "🙏", "💔", "🤍", "💙", "🙏🏽", "❤️❤️", "", "", "", "Love to you.", "Rest easy, Jack.",
	"Be gentle with yourselves.", "💕",
}

var enHashtags = []string{"#ChrissyTeigen", "#JohnLegend", "#PregnancyLoss", "#BabyLossAwareness", "#Jack"}

// Mentions used in texts: made-up handles (never the replica's authors).
var mentionNames = []string{
	"marnie.k", "luckyfern", "dadofthree", "kittenmittens", "jwalsh", "paperlantern", "tinaboo",
	"notthatdave", "rosiebakes", "mkultra88", "sunnydaze", "bramblewood", "carlyann", "tomtom22",
	"gingernut", "quietstorm", "velvetmoth", "bigjimbo", "ellie.writes", "nightowl77",
}

// Made-up links (fictional paths on example domains and shorteners).
var linkHosts = []string{
	"https://news.example.com/entertainment/", "https://celebwire.example.org/2020/10/",
	"https://bit.ly/", "https://www.example-times.com/arts/", "https://dailypop.example.net/",
}
