"""Topic vocabularies for the synthetic corpus (tools/corpus.py).

Each topic has roles, places, nouns, verbs (past tense phrases), adjectives and
topic-specific sentence templates. Slots: {N} name, {R} role, {P} place, {O}/{O2}
nouns, {A} adjective, {V} verb phrase, {n} number. The evaluation's "topic words"
are derived from these lists (see topic_words()).
"""

TOPICS = {
    "ocean": dict(
        roles=["sailor", "captain", "diver", "fisherman", "lighthouse keeper"],
        places=["the harbor", "the reef", "the lighthouse", "the beach", "the deck", "the lagoon", "the shore", "the island"],
        nouns=["ship", "wave", "whale", "dolphin", "anchor", "net", "shell", "coral", "octopus", "crab", "seaweed",
               "tide", "boat", "sail", "oar", "shark", "jellyfish", "starfish", "seagull", "compass", "mast", "pearl", "current"],
        verbs=["sailed across the ocean", "dived under the waves", "cast a net", "rowed the boat", "dropped the anchor",
               "swam with the dolphins", "watched the tide", "raised the sail", "searched for pearls", "steered the ship"],
        adjs=["salty", "deep", "blue", "stormy", "sandy", "tidal", "marine", "wet", "foamy", "nautical"],
        sents=["The {A} waves crashed against {P}.", "A {O} swam beneath the {O2}.", "{N} tied the {O} to the mast.",
               "The ship sailed past the reef where the coral glowed.", "Far out at sea, a whale sang to the dolphins.",
               "The tide pulled the boat toward the lagoon.", "{N} found a pearl inside a {A} shell.",
               "Seagulls circled above the harbor as the fishermen pulled in their nets.",
               "The captain checked the compass and steered toward the island."],
    ),
    "space": dict(
        roles=["astronaut", "pilot", "astronomer", "engineer", "commander"],
        places=["the space station", "the moon", "the launch pad", "the orbit", "the crater", "the observatory", "the galaxy", "the cockpit"],
        nouns=["rocket", "planet", "star", "comet", "asteroid", "satellite", "telescope", "spacesuit", "helmet", "orbit",
               "meteor", "nebula", "galaxy", "gravity", "capsule", "thruster", "moon", "mars", "jupiter", "saturn", "universe", "shuttle", "countdown"],
        verbs=["launched the rocket", "floated in zero gravity", "looked through the telescope", "landed on the moon",
               "fired the thrusters", "orbited the planet", "counted down to launch", "repaired the satellite",
               "walked on the crater", "charted the stars"],
        adjs=["cosmic", "lunar", "solar", "orbital", "weightless", "galactic", "distant", "shiny", "stellar", "airless"],
        sents=["The rocket roared and climbed into orbit.", "Through the telescope, {N} saw a {A} {O}.",
               "The astronauts floated inside the capsule.", "A comet streaked past the distant planet.",
               "{N} put on the spacesuit and the helmet before the spacewalk.", "Mission control started the countdown: ten, nine, eight.",
               "The satellite circled the moon every {n} hours.", "Beyond the asteroid belt, the stars of the galaxy glittered.",
               "The {O} drifted slowly in zero gravity."],
    ),
    "cooking": dict(
        roles=["chef", "baker", "cook", "waiter", "grandmother"],
        places=["the kitchen", "the bakery", "the restaurant", "the oven", "the pantry", "the stove", "the market"],
        nouns=["soup", "bread", "flour", "butter", "sugar", "salt", "pepper", "onion", "garlic", "tomato", "pan", "pot",
               "spoon", "knife", "recipe", "dough", "cake", "cheese", "egg", "sauce", "noodles", "oven", "apron", "pie", "carrot"],
        verbs=["chopped the onions", "stirred the soup", "baked a cake", "kneaded the dough", "tasted the sauce",
               "boiled the noodles", "cracked two eggs", "sliced the bread", "melted the butter", "seasoned the stew"],
        adjs=["delicious", "spicy", "crispy", "sweet", "savory", "tasty", "buttery", "crunchy", "creamy", "fresh"],
        sents=["The {A} smell of {O} filled the kitchen.", "{N} added a pinch of salt and pepper to the pot.",
               "The recipe said to mix the flour, sugar and butter.", "The cake rose slowly in the hot oven.",
               "{N} chopped garlic and tomatoes on the board.", "The soup simmered on the stove for {n} minutes.",
               "The baker pulled {A} bread out of the oven.", "With a wooden spoon, the chef stirred the creamy sauce.",
               "Dinner was ready: noodles, cheese and a sweet pie."],
    ),
    "forest": dict(
        roles=["ranger", "hiker", "woodcutter", "hunter", "owl"],
        places=["the forest", "the woods", "the clearing", "the trail", "the cabin", "the pine grove", "the campfire", "the creek"],
        nouns=["tree", "oak", "pine", "leaf", "branch", "moss", "mushroom", "fern", "squirrel", "deer", "fox", "bear", "acorn",
               "trunk", "bark", "twig", "log", "owl", "wolf", "berry", "root", "woodpecker", "hedgehog", "badger"],
        verbs=["hiked along the trail", "climbed the oak tree", "gathered acorns", "followed the deer tracks",
               "chopped firewood", "built a campfire", "picked wild berries", "listened to the owls",
               "crossed the mossy log", "collected pine cones"],
        adjs=["leafy", "mossy", "wild", "shady", "wooded", "green", "ancient", "tangled", "earthy", "evergreen"],
        sents=["Tall pine trees swayed above the trail.", "A squirrel hid an acorn under the {A} moss.",
               "{N} saw a deer drinking from the creek.", "The owl hooted from a branch of the old oak.",
               "Mushrooms and ferns grew between the roots.", "The woodcutter split a log near the cabin.",
               "A fox ran through the {A} woods.", "Leaves crunched under their boots as they walked deeper into the forest.",
               "The bear sniffed the berry bushes in the clearing."],
    ),
    "city": dict(
        roles=["architect", "bus driver", "taxi driver", "engineer", "mayor"],
        places=["the bridge", "the city", "the street", "the tower", "the subway", "the avenue", "the river bank", "downtown"],
        nouns=["bridge", "tower", "skyscraper", "street", "traffic", "taxi", "bus", "subway", "cable", "steel", "concrete",
               "building", "sidewalk", "crane", "avenue", "tunnel", "arch", "pillar", "lamp", "elevator", "apartment", "crosswalk", "highway",
               "pavement", "billboard", "streetlight", "parking", "metro"],
        verbs=["crossed the bridge", "rode the subway", "waited at the crosswalk", "hailed a taxi", "walked down the avenue",
               "designed a skyscraper", "took the elevator", "painted the bridge", "drove through the tunnel", "watched the traffic"],
        adjs=["urban", "busy", "crowded", "noisy", "tall", "concrete", "suspended", "modern", "metropolitan", "steel"],
        sents=["The suspension bridge stretched across the river with steel cables.", "Traffic honked on the {A} avenue.",
               "{N} looked up at the skyscraper and counted {n} floors.", "The subway rumbled under the street.",
               "Cranes lifted steel beams for the new tower.", "The architect drew the arch and the pillars of the bridge.",
               "Taxis and buses crowded downtown at rush hour.", "From the bridge, {N} could see the whole city skyline.",
               "The engineers checked every cable of the bridge."],
    ),
    "music": dict(
        roles=["musician", "singer", "drummer", "pianist", "conductor", "violinist"],
        places=["the concert hall", "the stage", "the studio", "the orchestra pit", "the music room", "the band room"],
        nouns=["piano", "guitar", "violin", "drum", "flute", "trumpet", "melody", "song", "rhythm", "chord", "note", "orchestra",
               "concert", "band", "choir", "lyrics", "tune", "harmony", "microphone", "symphony", "cello", "saxophone", "beat"],
        verbs=["played the piano", "strummed the guitar", "sang a song", "tuned the violin", "beat the drums",
               "conducted the orchestra", "practiced the scales", "wrote a melody", "hummed a tune", "rehearsed the symphony"],
        adjs=["musical", "melodic", "loud", "rhythmic", "harmonious", "soft", "catchy", "acoustic", "tuneful", "jazzy"],
        sents=["The orchestra played a {A} symphony.", "{N} strummed a chord on the guitar and sang.",
               "The drummer kept the rhythm steady.", "A soft melody drifted from the piano.",
               "The choir sang in perfect harmony.", "{N} tuned the violin before the concert.",
               "The band rehearsed the song {n} times.", "The audience clapped when the trumpet solo ended.",
               "The conductor raised the baton and the music began."],
    ),
    "sports": dict(
        roles=["player", "coach", "goalkeeper", "runner", "referee", "captain of the team"],
        places=["the stadium", "the field", "the gym", "the court", "the track", "the locker room", "the pitch"],
        nouns=["ball", "goal", "team", "match", "score", "referee", "whistle", "trophy", "medal", "soccer", "basketball",
               "tennis", "racket", "net", "jersey", "sneakers", "league", "tournament", "championship", "coach", "race", "hoop", "penalty"],
        verbs=["kicked the ball", "scored a goal", "won the match", "ran around the track", "passed the ball",
               "trained in the gym", "blew the whistle", "lifted the trophy", "shot a basket", "served the ball"],
        adjs=["athletic", "fast", "competitive", "sporty", "winning", "sweaty", "strong", "quick", "energetic", "victorious"],
        sents=["The team scored a goal in the last minute.", "{N} kicked the ball past the goalkeeper.",
               "The referee blew the whistle and the match began.", "The fans cheered in the stadium.",
               "The final score was {n} to {n2}.", "{N} ran around the track and won a gold medal.",
               "The coach told the players to pass the ball quickly.", "The basketball bounced off the hoop.",
               "After the tournament, the captain lifted the trophy."],
    ),
    "weather": dict(
        roles=["weather forecaster", "meteorologist", "storm chaser", "pilot", "farmer"],
        places=["the sky", "the clouds", "the weather station", "the valley", "the hills", "the rooftop"],
        nouns=["rain", "snow", "cloud", "storm", "thunder", "lightning", "wind", "fog", "hail", "rainbow", "sunshine",
               "forecast", "temperature", "umbrella", "drizzle", "blizzard", "tornado", "breeze", "frost", "puddle", "raincoat", "hurricane", "thermometer"],
        verbs=["checked the forecast", "opened the umbrella", "watched the lightning", "jumped in the puddles",
               "waited out the storm", "measured the rainfall", "shoveled the snow", "felt the cold breeze",
               "saw a rainbow", "read the thermometer"],
        adjs=["rainy", "cloudy", "windy", "sunny", "foggy", "snowy", "chilly", "humid", "freezing", "thundery"],
        sents=["Dark clouds gathered and thunder rumbled.", "The forecast said {A} weather all week.",
               "{N} opened an umbrella as the rain began.", "Lightning flashed across the sky.",
               "The temperature dropped to {n} degrees.", "After the storm, a rainbow appeared over the hills.",
               "Snow fell softly and frost covered the windows.", "A cold wind blew the fog away.",
               "The meteorologist warned that a hurricane was coming."],
    ),
    "school": dict(
        roles=["teacher", "student", "principal", "librarian", "classmate"],
        places=["the classroom", "the library", "the school", "the playground", "the hallway", "the cafeteria"],
        nouns=["homework", "pencil", "notebook", "desk", "lesson", "exam", "textbook", "blackboard", "chalk", "eraser",
               "backpack", "grade", "ruler", "quiz", "spelling", "math", "history", "alphabet", "recess", "diploma", "crayon", "worksheet", "semester"],
        verbs=["did the homework", "raised a hand", "studied for the exam", "read the textbook", "wrote on the blackboard",
               "sharpened a pencil", "passed the quiz", "went to recess", "learned the alphabet", "borrowed a library book"],
        adjs=["studious", "academic", "educational", "smart", "curious", "attentive", "clever", "quiet", "diligent", "scholarly"],
        sents=["The teacher wrote the lesson on the blackboard.", "{N} sharpened a pencil and opened the notebook.",
               "The students studied for the math exam.", "At recess, the children ran to the playground.",
               "The librarian helped {N} find a history textbook.", "The quiz had {n} spelling questions.",
               "{N} put the homework in the backpack.", "The principal gave out diplomas at graduation.",
               "Everyone sat at their desks and listened to the teacher."],
    ),
    "farm": dict(
        roles=["farmer", "shepherd", "milkmaid", "tractor driver", "stable hand"],
        places=["the farm", "the barn", "the meadow", "the pasture", "the henhouse", "the pigpen", "the stable", "the orchard"],
        nouns=["cow", "pig", "sheep", "goat", "horse", "chicken", "hen", "rooster", "duck", "tractor", "hay", "barn", "milk",
               "wool", "calf", "lamb", "piglet", "saddle", "fence", "haystack", "donkey", "pitchfork", "scarecrow", "trough"],
        verbs=["milked the cows", "fed the chickens", "sheared the sheep", "drove the tractor", "collected the eggs",
               "brushed the horse", "stacked the hay", "mended the fence", "herded the goats", "cleaned the stable"],
        adjs=["muddy", "rural", "grassy", "woolly", "fluffy", "rustic", "hungry", "noisy", "pastoral", "dusty"],
        sents=["The rooster crowed at sunrise.", "{N} milked the cow in the barn.", "The pigs rolled in the mud.",
               "The sheep grazed in the {A} meadow.", "The farmer drove the tractor past the haystack.",
               "The hens laid {n} eggs in the henhouse.", "A little lamb followed its mother across the pasture.",
               "{N} gave the horse an apple and brushed its mane.", "The ducks quacked by the pond near the barn."],
    ),
    "medicine": dict(
        roles=["doctor", "nurse", "surgeon", "pharmacist", "patient", "dentist"],
        places=["the hospital", "the clinic", "the pharmacy", "the waiting room", "the emergency room", "the ward"],
        nouns=["medicine", "doctor", "nurse", "fever", "cough", "bandage", "pill", "syringe", "stethoscope", "vaccine",
               "patient", "symptom", "prescription", "thermometer", "ambulance", "surgery", "infection", "vitamin", "pulse", "x-ray", "cast", "virus", "allergy"],
        verbs=["checked the pulse", "listened with a stethoscope", "gave a vaccine", "wrapped a bandage", "took the medicine",
               "wrote a prescription", "measured the fever", "performed the surgery", "called an ambulance", "cleaned the wound"],
        adjs=["sick", "healthy", "medical", "feverish", "sterile", "clinical", "injured", "dizzy", "painful", "contagious"],
        sents=["The doctor listened to {N}'s heart with a stethoscope.", "The nurse wrapped a bandage around the wound.",
               "{N} had a fever and a bad cough.", "The pharmacist gave {N} {n} pills a day.",
               "An ambulance rushed to the hospital.", "The surgeon washed her hands before the surgery.",
               "The patient waited in the waiting room.", "The vaccine protected the children from the virus.",
               "The x-ray showed a broken bone, so the doctor put on a cast."],
    ),
    "castle": dict(
        roles=["knight", "king", "queen", "princess", "prince", "guard", "wizard"],
        places=["the castle", "the tower", "the throne room", "the dungeon", "the moat", "the courtyard", "the drawbridge", "the kingdom"],
        nouns=["castle", "knight", "king", "queen", "throne", "crown", "sword", "shield", "dragon", "moat", "drawbridge",
               "armor", "banner", "dungeon", "tower", "kingdom", "jester", "royal", "spear", "helmet", "tournament", "cloak", "scepter"],
        verbs=["guarded the gate", "raised the drawbridge", "drew a sword", "rode into battle", "bowed to the king",
               "defended the castle", "climbed the tower", "fought the dragon", "wore the crown", "polished the armor"],
        adjs=["royal", "brave", "noble", "ancient", "mighty", "loyal", "majestic", "medieval", "gallant", "stony"],
        sents=["The knight raised his shield and drew his sword.", "The king sat on his throne and wore a golden crown.",
               "A dragon flew over the castle walls.", "The guards lowered the drawbridge over the moat.",
               "The princess looked out from the tallest tower.", "{N} the knight rode through the {A} kingdom.",
               "Banners waved above the courtyard.", "The queen ordered {n} knights to guard the gate.",
               "The jester made the royal court laugh."],
    ),
}

# Simple French for a subset of topics (same concepts, different language).
FRENCH = {
    "ocean": dict(
        nouns=["le bateau", "la mer", "la vague", "le poisson", "la baleine", "le dauphin", "le port", "la plage",
               "le sable", "le marin", "l'ancre", "le phare", "le coquillage", "le filet", "le crabe", "la marée"],
        sents=["Le marin regarde la mer.", "Le bateau navigue sur l'océan.", "Les vagues sont grandes aujourd'hui.",
               "{N} nage avec les dauphins.", "La baleine chante sous l'eau.", "Le pêcheur jette son filet dans la mer.",
               "Il y a {n} bateaux dans le port.", "{N} trouve un coquillage sur la plage.", "Le phare brille sur la côte.",
               "Le capitaine jette l'ancre près de l'île."],
    ),
    "cooking": dict(
        nouns=["la cuisine", "le pain", "le gâteau", "la soupe", "le beurre", "la farine", "le sucre", "le sel",
               "le fromage", "la casserole", "le four", "la recette", "le cuisinier", "la tomate", "l'oignon", "la tarte"],
        sents=["Le cuisinier prépare une soupe.", "{N} met le gâteau dans le four.", "La recette demande de la farine et du sucre.",
               "Le pain est chaud et croustillant.", "{N} coupe les oignons et les tomates.", "La soupe cuit pendant {n} minutes.",
               "Le chef goûte la sauce.", "Nous mangeons du fromage et du pain.", "La tarte aux pommes est délicieuse."],
    ),
    "farm": dict(
        nouns=["la ferme", "la vache", "le cochon", "le mouton", "la chèvre", "le cheval", "la poule", "le coq",
               "le canard", "le tracteur", "le foin", "la grange", "le lait", "le fermier", "l'agneau", "le pré"],
        sents=["Le fermier trait la vache.", "Le coq chante le matin.", "Les moutons mangent l'herbe dans le pré.",
               "{N} donne du foin au cheval.", "Les poules pondent {n} œufs.", "Le cochon joue dans la boue.",
               "Le fermier conduit le tracteur.", "Il y a un agneau dans la grange.", "Les canards nagent dans la mare."],
    ),
    "forest": dict(
        nouns=["la forêt", "l'arbre", "le chêne", "le sapin", "la feuille", "la branche", "le champignon", "l'écureuil",
               "le cerf", "le renard", "l'ours", "le hibou", "la mousse", "le sentier", "le bois", "la cabane"],
        sents=["{N} marche dans la forêt.", "Un écureuil cache une noisette sous le chêne.", "Le hibou chante la nuit.",
               "Les feuilles tombent des arbres.", "Un cerf boit à la rivière.", "Le renard court dans les bois.",
               "{N} ramasse des champignons.", "La cabane est près du sentier.", "Il y a {n} sapins dans la clairière."],
    ),
    "weather": dict(
        nouns=["la pluie", "la neige", "le nuage", "l'orage", "le vent", "le soleil", "le tonnerre", "l'éclair",
               "le brouillard", "l'arc-en-ciel", "le parapluie", "la météo", "la tempête", "le froid", "la chaleur", "le ciel"],
        sents=["Il pleut aujourd'hui.", "Il neige sur les montagnes.", "{N} ouvre son parapluie.", "Le vent souffle très fort.",
               "Après l'orage, il y a un arc-en-ciel.", "La météo annonce du soleil.", "Le tonnerre gronde dans le ciel.",
               "Il fait {n} degrés ce matin.", "Le brouillard couvre la vallée."],
    ),
    "music": dict(
        nouns=["la musique", "le piano", "la guitare", "le violon", "le tambour", "la chanson", "la mélodie", "le chanteur",
               "l'orchestre", "le concert", "la flûte", "la trompette", "le rythme", "la note", "la chorale", "le musicien"],
        sents=["{N} joue du piano.", "La chanteuse chante une belle chanson.", "L'orchestre joue une symphonie.",
               "Le musicien accorde son violon.", "{N} joue de la guitare.", "Le concert commence à {n} heures.",
               "La mélodie est douce.", "Le batteur garde le rythme.", "La chorale chante ensemble."],
    ),
}

NAMES = ["Mia", "Leo", "Ava", "Noah", "Emma", "Liam", "Zoe", "Omar", "Lily", "Sam", "Nora", "Ben", "Ruby", "Max",
         "Ivy", "Finn", "Ella", "Jack", "Rosa", "Kai", "Anna", "Tom", "Sara", "Hugo", "Lucy", "Eli", "Maya", "Theo"]
FR_NAMES = ["Marie", "Pierre", "Camille", "Louis", "Chloé", "Jules", "Léa", "Hugo", "Inès", "Lucas", "Manon", "Paul"]

STOPWORDS = set("""a an the of to in on at and or but is was were be been are it its he she they them his her their
with for from by as that this these those there here then than so very into out up down over under near past
through across toward around after before all every each one two some more most no not who what when where why
how had has have did do does said asked new old little big good get got along built followed gathered picked
looked counted landed fired ran felt jumped opened saw went called gave named took found made put read wrote
waited left green fresh sweet quick fast strong soft loud quiet""".split())


def topic_words(topic):
    """Content words of a topic that no other topic lists (lowercase)."""
    def words_of(t):
        d = TOPICS[t]
        items = d["roles"] + d["places"] + d["nouns"] + d["verbs"] + d["adjs"]
        out = set()
        for it in items:
            for w in it.lower().replace("'", " ").split():
                if w.isalpha() or "-" in w:
                    if w not in STOPWORDS:
                        out.add(w)
        return out
    mine = words_of(topic)
    others = set().union(*(words_of(t) for t in TOPICS if t != topic))
    return sorted(mine - others)


def french_topic_words(topic):
    d = FRENCH[topic]
    out = set()
    for it in d["nouns"]:
        w = it.split("'")[-1].split()[-1].lower()
        out.add(w)
    return sorted(out)
