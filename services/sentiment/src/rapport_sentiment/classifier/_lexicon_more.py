# ruff: noqa: E501, SIM905 (word tables read better unwrapped)
"""More sentiment words for es/de/fr/pt/it (lexicon-3.2), and the word classes the readers of
``_multi`` use beside the lexicon: contrastive conjunctions, laughter, elongated words.

Written for this project from knowledge of the languages (no published lexicon or data set
copied, no dev message looked at while writing them): common praise and blame, feelings,
insults and swearing as they are written in chats and social posts, each word or stem with a
valence on the -3..+3 scale of ``_langs``. Accent-folded and lower case like ``_langs``; a
stem ends in ``*``. An entry already in ``_langs`` keeps its valence there (these only add).
"""

from __future__ import annotations

import re

from ._langs import _lex

# More emoji and emoticons, read in every language (the English lexicon has its own).
COMMON_MORE = _lex(
    p3="🤩 😻 💯 💙 💚 💛 💜 🧡 ♥ ♥️ 💓 💗 💘 💝 😇 🤗 🏆 🎊",
    p2="😉 😎 😋 😌 ☺ ☺️ 😆 😺 😸 👌 ✌ ✌️ 🌹 🌸 🌺 🌷 💐 🍾 🥂 🔝 ✅ 🌞 😙 😚 🤭 :-d :p xd xdd :3",
    n3="🤮 🤢 🖕 😱 😿 ☹ ☹️",
    n2="😥 😓 😪 😰 😨 😖 😣 😟 🙁 😕 😑 😬 🤦 😾 👿 💢 ❌ 😷 🤕 😵 :/ :-/",
)

# Contrastive conjunctions: the clause after one weighs more than the one before (as "but" in
# English: before x0.5, after x1.5, fixed in ``_core`` and reused), and they end a negation's
# scope. Spanish "mas" is left out ("más" = more, a booster), Italian "pero" is "però".
CONTRAST = {
    "es": frozenset("pero sino".split()),
    "pt": frozenset("mas porem contudo todavia entretanto".split()),
    "it": frozenset("ma pero tuttavia".split()),
    "fr": frozenset("mais cependant pourtant toutefois".split()),
    "de": frozenset("aber jedoch trotzdem allerdings".split()),
}

# Laughter as it is typed: "jajaja", "jejeje", "hahaha", "ahahah", "hehe" (four letters or
# more), Portuguese "kkkk" and "rsrs", "huahua". Positive (valence LAUGH).
LAUGHTER = re.compile(r"(?:(?:ja|je|ha|he|ah|eh|ji|hi)){2,}[jhae]?|k{3,}|(?:rs){2,}|(?:hua){2,}")
LAUGH = 2.0

# A letter repeated three times or more ("graciassss", "nooooo", "bieeeen"): the word is
# looked up with the run cut to one letter, then to two ("cool" stays "cool").
ELONGATED = re.compile(r"([a-z])\1{2,}")

MORE: dict[str, dict[str, float]] = {
    "es": _lex(
        p3="guapisim* preciosisim* bellisim* felicisim* maravillos* fenomenal* alucinant* grandios* insuperabl* enamorad* bendicion* bendecid* afortunad* enhorabuena felicidades orgullosisim* divin* idol* crack* ole",
        p2="buen chulo chula chulos chulas guay mola molan molo bacan* chever* sonris* sonrie* risas reir riendo divertid* diversion* maravilla belleza bell* alegria exitos ganador* campeon* victori* bravo viva vivan bienvenid* brillant* inteligent* valient* generos* querid* besito* mejora* perfectamente tranquilidad disfrutando disfrute disfruten gracios* celebr* regal* sorpresa premio* paraiso ideal comod* rico rica ricos ricas delicios* sabros* animo apoyo optimis* positiv* logr* emocionant* impresionant* agradable* simpatic* encantador* fiesta* amistad*",
        p1="amigo amigos amiga amigas tranquilo tranquila calma descanso bonito correcto acertad* interesant* ganas",
        n3="asqueros* repugnant* detest* horror* horrend* espantos* despreci* infierno cabron* gilipollas imbecil* hijueputa hdp joder jodid* putada* puto putos cono cojones carajo inaceptabl* vergonzos* escandal* mentiros* traicion* traidor* criminal* tragedi* catastrof* cutre* chapuza* mediocr* inept* incompetent* impresentabl* sinverguenza* caradura* maldita malditos asesinos",
        n2="tristeza llorando lloro lloran preocupant* asustad* temo temor* angustia* ansiedad* depres* soledad duele duelen doler enferm* herid* dano danos perdida* fracas* derrota* perdimos perdieron absurd* tonteri* estupidez falso falsa falsos falsas mentira mentiras desesperad* desilusion* agotad* hartazgo irritant* insoportabl* feo fea feos feas caotic* averia* averiad* estropead* violencia* violent* agresi* ataque* pobreza hambre susto lastima lamento decepcionad* cansa fastidi* porqueria* chungo chunga grrr* puaj uff ufff robo robar roban robaron abus* injusticia* sufriendo odian odie odiamos insulto* insult*",
        n1="complicad* raro rara extran* nervios* dudoso lento* caro",
    ),
    "pt": _lex(
        p3="maravilhos* fantastic* perfeit* incrivel* incriveis sensacional* espetacular* amo amei adoro adorei adorando apaixonad* felicidade* abencoad* orgulho* lindissim* excelent* otim* otimo otima parabens genial* top",
        p2="bom boa bons boas legal legais bacana* lind* bonit* fofo fofa fofos fofinh* gostei gosto gostoso* gostosa* feliz felizes alegr* content* divertid* diversao obrigad* valeu vlw agradec* sucesso* vitoria* vencer venceu ganhamos ganhou campeao campeoes melhor melhores show massa maneiro* sorriso* sorrir rindo risada* amor amores amig* querid* beijo* beijinho* abraco* carinho* gentil* simpatic* incentiv* apoio esperanca* recomend* tranquil* paz facil* rapido rapida util uteis eficient* maravilha beleza belo bela elogi* aprov* festa* curti curtindo aproveit*",
        p1="ok certo interessant* calma descans* pronto ganhar",
        n3="horrivel horriveis terrivel terriveis pessim* odio odeio odiei nojo* nojent* vergonha* vergonhos* desastr* lixo* porcaria* merda* bosta* caralho porra puta puto fdp inutil inuteis ridicul* patetic* absurd* lament* golpe golpista* ladrao ladroes ladroe* roubo* roubar roubaram corrupt* mentiros* inaceitavel* idiota* imbecil* burro burra babaca* otario* desgraca* desgracad* maldit* tragedi* catastrof* assassin* criminos* palhacada* descaso",
        n2="mal mau ruim ruins triste* tristeza chate* chato chata irrit* raiva* odiar decepcion* frustr* cansad* cansei preocup* medo* assust* ansied* depress* sozinh* solidao dor dores doendo doi doente* sofr* chor* perd* fracass* derrota* problema* erro* falha* falhou quebr* lent* demor* atras* injust* mentira* falso falsa crise* violencia* violent* guerra* morte* morreu morrer mort* pobre* fome perigo* pior piores feio feia feios feias estupid* bobo boba tedio* entedi* aff afff affs argh* droga* poxa puxa putz sacanagem* reclam* absurdo",
        n1="dificil* duvida* pena espera* esperando complicad* estranh* nervos*",
    ),
    "it": _lex(
        p3="fantastic* meraviglios* stupend* perfett* eccezional* magnific* splendid* favolos* strepitos* fenomenal* incredibil* spettacol* adoro adorabil* amo bellissim* ottim* eccellent* felicissim* innamorat* grandios* mitic* mitico",
        p2="bello bella belli belle bravo brava bravi brave bene buono buona buoni buone buonissim* grazie* contento contenta contenti content* felice felici felicita* gioia* allegr* divertent* divertit* sorris* ridere ridendo risate amore amori amic* simpatic* gentil* dolce dolcissim* tesoro* complimenti congratulazioni auguri evviva viva vittori* vincere vinto vinciamo campion* success* migliore migliori meglio piace piaciuto piaciuta adoro adorare speranz* tranquill* sereno serena serenita pace utile utili facile veloce efficient* consigli* apprezz* bacio baci bacioni abbraccio* abbracci* festa* bellezza godere godersi",
        p1="ok okay interessant* calma riposo pronto",
        n3="orribil* terribil* pessim* schif* odio odiare odioso* disgust* vergogn* disastr* merda* cazzo cazzat* minchia stronz* vaffanculo fanculo coglion* bastard* schifoso* ridicol* patetic* inaccettabil* vergognos* vomit* ladr* truffa* truff* corrott* bugiard* idiot* imbecill* cretin* deficient* maledett* tragedi* catastrof* assassin* criminal* squallid* penos* indecent* scandal*",
        n2="male malissimo brutto brutta brutti brutte triste tristi tristezza arrabbiat* incazzat* rabbia* nervos* deluso delusa delusione* deludent* frustr* stanco stanca stanchi stufo stufa stufi preoccup* paura* spavent* ansia* depress* solitudine dolore dolori soffr* piang* pianto perso persa perdere perdita* sconfitt* fallimento* fallit* problema* errore* guasto* guasti rotto rotta lento lenta ritardo* ingiust* bugia* bugie falso falsa crisi violenz* violent* guerra* morte* morto morti morire pover* fame pericol* peggio peggiore peggiori stupid* noia noioso* noiosa* odia* insult* lamentel* accidenti mannaggia uffa uff sigh",
        n1="difficil* dubbio* attesa aspett* complicat* strano strana costoso*",
    ),
    "fr": _lex(
        p3="genial* geniale* magnifique* merveilleu* fantastique* formidable* parfait* excellent* extraordinaire* incroyable* sublime* adore adorer adorable* superbe* splendide* fabuleu* heureux heureuse heureuses bravo felicitations* chapeau kiffe kiffer top",
        p2="bien bon bonne bons bonnes beau belle beaux belles joli jolie jolis jolies super cool sympa* gentil* aimable* merci* content* ravi ravie ravis joie* rire rigol* drole* marrant* amusant* sourire* amour amoureu* ami amie amis amies bisou* calin* espoir* reussi* reussite* succes victoire* gagne gagner gagnant* champion* meilleur* mieux aime aimer aimons aiment plaisir* agreable* facile* rapide* efficace* pratique* utile* recommande* conseille* apprecie* confortable* delicieu* bienvenue felicite* genialissime tranquille* serein* paix fete* chouette nickel",
        p1="ok okay dacc interessant* calme repos pret",
        n3="horrible* affreu* atroce* odieu* deteste* detester haine* degout* degueu* degueulasse* honte* honteu* scandale* scandaleu* inadmissible* inacceptable* catastroph* desastre* desastreu* nul nulle nuls nulles merde* putain connard* connasse* salop* salaud* encul* batard* foutre bordel chier chiant* ridicule* pathetique* lamentable* pitoyable* minable* menteur* menteuse* mensonge* voleur* voleurs arnaque* escroc* escroquerie* idiot* imbecile* debile* cretin* abruti* tragedie* tragique* meurtre* assassin* criminel*",
        p0="",
        n2="mal mauvais mauvaise mauvaises triste* tristesse colere* enerve* furieu* agace* agacant* fache* decu decue decus decues decevant* deception* frustr* fatigue* marre ras epuise* inquiet* inquiete* peur* effray* angoiss* anxi* deprim* solitude douleur* souffr* pleur* perdu perdue perdus perdre perte* echec* echoue* probleme* erreur* panne* casse cassee* lent lente lents lentes retard* injust* faux fausse chaos crise* violence* violent* guerre* mort morte morts mourir pauvre* faim danger* dangereu* pire pires moche* bete* stupide* ennui* ennuyeu* insupportable* penible* galere* relou* chiante beurk pfff pff grr* dommage helas malheur* malheureu* plainte* reclamation*",
        n1="difficile* attente attendre complique* bizarre* etrange*",
    ),
    "de": _lex(
        p3="fantastisch* wunderbar* wundervoll* hervorragend* ausgezeichnet* perfekt* genial* grossartig* grossartige* herrlich* traumhaft* unglaublich* spitze klasse mega geil* liebe lieben liebt geliebt glucklich* begeistert* hammer top",
        p2="gut gute guter gutes gutene schoner schones schonen toll tolle toller tolles tollen super prima cool nett nette netter freundlich* danke dankbar* freu* freude* froh lachen lacht lachend lustig* witzig* spass lieb liebes hoffnung* erfolg* gewonnen gewinnen sieg* sieger* meister* besser beste bester bestes besten gefallt gefallen gern gerne angenehm* schnell* hilfreich* empfehl* lecker* gemutlich* ruhig* friede* feier* glueck gluck gratul* herzlich* bravo yay juhu",
        p1="ok okay okey interessant* ruhe fertig",
        n3="schrecklich* furchtbar* entsetzlich* grauenhaft* grausam* katastroph* scheiss* scheisse* kacke* mist* arsch* arschloch* wichser* idiot* vollidiot* dumm* depp* trottel* hass* hasse hassen ekel* ekelhaft* widerlich* abscheulich* schande* skandal* unverschamt* frech* lugner* luge* lugen betrug* betruger* abzock* verbrecher* unfahig* inakzeptabel* peinlich* erbarmlich* tragisch* tragodie* mord* morder* hurensohn fick* verdammt* verflucht*",
        n2="schlecht* schlimm* traurig* trauer* wutend* wut sauer* arger* argerlich* genervt* nervig* nervt enttausch* frustr* mude* erschopft* besorgt* sorge* angst* angstlich* furcht* panik* depress* einsam* schmerz* leid leiden leide weinen weint geweint verloren verlieren verlust* niederlage* versag* problem* fehler* kaputt* defekt* langsam* verspat* ungerecht* falsch* chaos krise* gewalt* krieg* tod tot tote toten sterben armut hunger gefahr* gefahrlich* schlimmer schlimmste hasslich* blod* bloed* langweil* unertraglich* anstrengend* leider schade ugh pfui igitt beschwer* reklam*",
        n1="schwierig* schwer warten wartet warte komisch* seltsam* teuer* kompliziert*",
    ),
}

# More patterns (lexicon-3.2), run after each language's own in ``_langs`` (same shape:
# signal, score, regex on the folded text, negatable). Classes of the misses:
# something broke (a failure, so that praise around it reads as sarcasm), praise closing a
# message about a failure ("... Me encanta.", "Danke auch."), refusing the bot in more wordings.
EXTRA_PATTERNS: dict[str, tuple[tuple[str, float, str, bool], ...]] = {
    "es": (
        (
            "service_failure",
            0.65,
            r"\b(?:(?:lo|la|los|las|me|se)\s+(?:ha|han)\s+roto|(?:ha|han)\s+roto|rompio|rompieron|se\s+(?:ha\s+)?(?:roto|rompio|estropeado|estropeo|colgado|bloqueado)|esta\s+(?:roto|rota|estropead[oa])|ya\s+no\s+funciona|dejo\s+de\s+funcionar)\b",
            False,
        ),
        (
            "sarcasm_weak",
            0.7,
            r"\b(?:me\s+encantan?|genial|que\s+bien|que\s+maravilla|gracias\s+eh|mil\s+gracias)\s*[.!]*\s*$",
            False,
        ),
        (
            "human_request",
            0.9,
            r"\b(?:no\s+quiero|me\s+niego\s+a|basta\s+de|nada\s+de)\s+(?:\w+\s+){0,3}?(?:con\s+)?(?:un|una|el|la|este|esta)?\s*(?:bots?|robots?|maquinas?|chatbots?|ia|inteligencia\s+artificial|asistente\s+virtual)\b",
            False,
        ),
    ),
    "de": (
        (
            "service_failure",
            0.65,
            r"\b(?:kaputt\w*|funktioniert\s+(?:\w+\s+){0,2}nicht|geht\s+(?:\w+\s+){0,2}nicht\s+mehr|abgesturzt|sturzt\s+(?:\w+\s+){0,2}ab|hangt\s+sich\s+auf)\b",
            False,
        ),
        (
            "sarcasm_weak",
            0.7,
            r"\b(?:danke\s+auch|vielen\s+dank\s+auch|na\s+toll|ganz\s+toll|super|toll|klasse|prima|spitze|bravo)\b",
            False,
        ),
        (
            "human_request",
            0.9,
            r"\b(?:will|mochte|moechte|wollen)\s+(?:\w+\s+){0,2}nicht\s+(?:mehr\s+)?mit\s+(?:einem|einer|dem|der|diesem|dieser|ihrem|eurem)?\s*(?:bot|roboter|maschine|computer|chatbot|ki|automaten)\b|\b(?:keine|genug\s+mit\s+den)\s+(?:bots|roboter|maschinen|chatbots)\b",
            False,
        ),
    ),
    "fr": (
        (
            "service_failure",
            0.65,
            r"\b(?:(?:a|ont)\s+(?:\w+\s+){0,2}casse|est\s+(?:\w+\s+)?casse(?:e|s|es)?|(?:ne\s+|n\s+)?(?:marche|fonctionne)\s+(?:plus|pas)|plante\s+(?:encore|tout\s+le\s+temps|sans\s+arret)|(?:a|ont)\s+plante|en\s+panne|bugue?\s+(?:encore|tout\s+le\s+temps))\b",
            False,
        ),
        (
            "sarcasm_weak",
            0.7,
            r"\b(?:merci\s+beaucoup|merci\s+bien|genial|super|bravo|top|j\s*'?\s*adore|trop\s+bien|c\s*'?\s*est\s+parfait)\b",
            False,
        ),
        (
            "human_request",
            0.9,
            r"\b(?:refuse|refusons|veux\s+pas|veux\s+plus|ne\s+veux\s+(?:pas|plus))\s+(?:de\s+)?(?:\w+\s+){0,2}(?:a|avec)\s+(?:un|une|le|la|ce|cette|votre)?\s*(?:bot|robot|machine|chatbot|ia|automate|repondeur)s?\b|\b(?:assez|marre)\s+(?:de|des)\s+(?:bots?|robots?|machines?|chatbots?)\b",
            False,
        ),
    ),
    "pt": (
        (
            "service_failure",
            0.65,
            r"\b(?:quebrou|quebraram|quebrad[oa]s?|estragou|estragad[oa]|parou\s+de\s+funcionar|nao\s+funciona\w*|travou|travando|trava\s+(?:toda\s+hora|sempre|o\s+tempo\s+todo)|deu\s+pau|bugou)\b",
            False,
        ),
        (
            "sarcasm_weak",
            0.7,
            r"\b(?:adorei|adoro|amei|otimo|maravilha|que\s+beleza|obrigad[oa]\s+mesmo|valeu\s+mesmo|parabens)\b",
            False,
        ),
        (
            "human_request",
            0.9,
            r"\b(?:nao\s+quero|me\s+recuso\s+a|chega\s+de|cansei\s+de)\s+(?:\w+\s+){0,3}?(?:com\s+)?(?:um|uma|o|a|esse|essa|este|esta)?\s*(?:bots?|robos?|robozinho|maquinas?|chatbots?|ia|atendimento\s+automatico)\b",
            False,
        ),
    ),
    "it": (
        (
            "service_failure",
            0.65,
            r"\b(?:(?:ha|hanno)\s+(?:\w+\s+){0,2}rotto|(?:si\s+e|e)\s+rott[oa]|rott[oa]|non\s+funziona\w*|smesso\s+di\s+funzionare|si\s+blocca\w*|si\s+e\s+bloccat[oa]|va\s+in\s+crash)\b",
            False,
        ),
        (
            "sarcasm_weak",
            0.7,
            r"\b(?:grazie\s+tante|grazie\s+mille|fantastico|perfetto|bravi|complimenti|che\s+bello|adoro)\b",
            False,
        ),
        (
            "human_request",
            0.9,
            r"\b(?:non\s+voglio|mi\s+rifiuto\s+di|basta\s+con|basta)\s+(?:\w+\s+){0,3}?(?:con\s+)?(?:un|una|il|la|i|le|questo|questa)?\s*(?:bot|robot|macchin[ae]|chatbot|ia|assistente\s+virtuale|risponditore)\b",
            False,
        ),
    ),
}
