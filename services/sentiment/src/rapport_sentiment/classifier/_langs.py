# ruff: noqa: E501, SIM905  (word tables and patterns read better unwrapped)
"""Word tables and signal patterns for Spanish, German, French, Portuguese and Italian, written
for this project from knowledge of the languages and of support work (no published lexicon or
data set copied). Everything is written accent-folded and lower case: the classifier folds the
message the same way (``_multi.fold``: "vergüenza" -> "verguenza", "não" -> "nao"), with its
length kept, so that spans index the message the agent sees.

Lexicon entries are whole words or stems ending in ``*`` ("frustr*" covers frustrado,
frustrada, frustrante...). Valences are -3..+3 as in the English lexicon.

Long because it is data: five languages' word tables and patterns.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    code: str
    negators: frozenset[str]
    boosters: dict[str, float]
    lexicon: dict[str, float]
    # (signal, score, regex, negatable): run in order; the first hit of a signal at a score wins
    patterns: tuple[tuple[str, float, str, bool], ...]
    # a negator within a few words before a hit cancels the negatable signals
    negated_before: str
    # (score, regex): waiting durations, longest unit first
    waits: tuple[tuple[float, str], ...]


def _lex(**groups: str) -> dict[str, float]:
    """``p3="a b*"``, ``n2="c d*"`` -> {"a": 3, "b*": 3, "c": -2, "d*": -2}."""
    out: dict[str, float] = {}
    for name, words in groups.items():
        value = float(name[1:]) * (1 if name[0] == "p" else -1)
        for w in words.split():
            out[w] = value
    return out


def _waits(numbers: str, units: dict[float, str]) -> tuple[tuple[float, str], ...]:
    return tuple(
        (score, rf"\b(?:\d+|{numbers})\s+(?:\w+\s+)?(?:{unit})\b")
        for score, unit in sorted(units.items(), reverse=True)
    )


# Shared by every language: emoji, emoticons and tokens that tweets and chats use everywhere.
COMMON = _lex(
    p3="❤ ❤️ 😍 🥰 😘 💕 💖 👏 🙌 🎉 🥳 😂 🤣",
    p2="😊 🙂 😀 😃 😄 😁 👍 ✨ 💪 🙏 :) :-) :d ;) <3 love lol jaja jajaja haha hahaha kkk kkkk ahah ahahah mdr xd top",
    n3="😡 🤬 😠 👎 💩 😭 wtf fail",
    n2="😢 😞 😔 😩 😫 😤 🙄 😒 💔 :( :-( :'( ugh",
)

ES = Language(
    code="es",
    negators=frozenset("no nunca jamas ni nada nadie sin tampoco ningun ninguna ninguno".split()),
    boosters={
        "muy": 1.4,
        "tan": 1.3,
        "super": 1.4,
        "demasiado": 1.3,
        "realmente": 1.3,
        "totalmente": 1.3,
        "bastante": 1.2,
        "mas": 1.1,
        "tremendo": 1.4,
        "re": 1.3,
    },
    lexicon=_lex(
        p3="excelente* genial* maravill* fantastic* perfect* increibl* encant* estupend* buenisim* magnific* feliz felices felicidad* felicit* amo adoro orgull* espectacular* brutal",
        p2="bueno buena buenos buenas bien gracias agradec* bonit* lind* guap* alegr* content* divert* favorit* recomiend* recomend* amabl* util utiles facil* mejor mejores exito* disfrut* precios* hermos* ganamos ganar* gano triunf* ilusion* emocion* carin* besos* abrazo* suerte gust* apoy* solucion*",
        p1="vale acuerdo interesante* esperanz* tranquil* paz ok rapido rapida",
        n3="horribl* terribl* pesim* asco* odio odia* verguenz* vergonz* fatal* desastr* indignant* lamentabl* asquer* basura* inutil* estaf* peor peores mierda* asesin* corrupt* ladron* ridicul* nefast* penos* patetic*",
        n2="mal malo mala malos malas triste* enfad* cabread* hart* molest* decepcion* frustr* fallo* falla* roto rota lento lenta mentir* miedo* preocup* aburr* cansad* dolor* llor* perd* desgraci* injust* tont* estupid* idiot* culpa* grave* crisis muert* matar* mata* guerra* odiar* indign* harto harta* rabia* furi* quej* problema* peligr* maldit* sufr* pena miserabl* triste",
        n1="espera* pendiente* error* duda* tarde lio cuesta* dificil* caro",
    ),
    negated_before=r"\b(?:no|nunca|jamas|sin|ni)\b(?:\s+\w+){0,3}\s*$",
    waits=_waits(
        "un|una|dos|tres|cuatro|cinco|seis|siete|ocho|diez|varios|varias|muchos|muchas",
        {0.9: "mes|meses|anos?", 0.85: "semanas?", 0.75: "dias?", 0.65: "horas?", 0.45: "minutos?"},
    ),
    patterns=(
        (
            "safety",
            1.0,
            r"\b(?:suicid\w*|matarme|quitarme\s+la\s+vida|acabar\s+con\s+(?:mi\s+vida|todo)|no\s+quiero\s+(?:vivir|seguir\s+(?:viviendo|aqui))|quiero\s+morir(?:me)?|hacerme\s+dano|no\s+(?:le\s+)?veo\s+(?:el\s+)?sentido\s+a\s+(?:seguir|vivir|nada)|ya\s+no\s+puedo\s+mas|no\s+aguanto\s+mas|desaparecer\s+para\s+siempre|(?:que\s+)?(?:todo\s+)?se\s+acabe\s+(?:ya|todo)|estarian\s+mejor\s+sin\s+mi)",
            False,
        ),
        (
            "safety",
            0.9,
            r"\b(?:incendio|se\s+(?:ha\s+)?(?:incendiado|prendido\s+fuego)|fuga\s+de\s+gas|sale\s+humo|descarga\s+electrica|exploto|me\s+(?:amenaza\w*|agredi\w*|pego|golpeo)|estoy\s+en\s+peligro|emergencia\s+medica)",
            False,
        ),
        (
            "human_request",
            0.95,
            r"\b(?:habla\w*|comunicar\w*|contactar\w*|pas\w+(?:me)?|ponerme\s+en\s+contacto|atienda|atiendan)\s+(?:con\s+)?(?:un|una|el|la|algun|alguna)?\s*(?:persona|humano|agente|asesor\w*|operador\w*|representante|emplead\w*|encargad\w*|supervisor\w*|responsable|alguien(?:\s+real)?)\b|\b(?:quiero|necesito|pido|exijo|prefiero)\s+(?:a\s+)?(?:un|una)?\s*(?:persona|humano|agente|asesor|operador|representante)\b|\b(?:persona|agente|humano)\s+(?:real|de\s+verdad|por\s+favor|ya)\b",
            True,
        ),
        (
            "human_request",
            0.9,
            r"\b(?:no\s+quiero|no\s+me\s+gustan?|basta\s+de|hart[oa]s?\s+de|cansad[oa]s?\s+de|odio|deja\s+de|no\s+mas|paso\s+de)\s+(?:\w+\s+){0,3}?(?:bots?|robots?|maquinas?|chatbots?|contestador\w*|asistente\s+virtual|respuestas\s+automaticas)\b",
            False,
        ),
        (
            "complaint",
            0.85,
            r"\b(?:poner|presentar|hacer|formular|interponer|pongo|presento)\s+(?:una\s+)?(?:queja|reclamacion|reclamo)\b|\b(?:hoja|libro)\s+de\s+reclamaciones\b|\bquiero\s+quejarme\b",
            True,
        ),
        (
            "legal_threat",
            0.9,
            r"\b(?:abogad[oa]s?|demandar\w*|poner\s+una\s+demanda|denunciar\w*|os\s+denuncio|los\s+denuncio|juicio|tribunales|juzgado|accion(?:es)?\s+legal(?:es)?|via\s+judicial|oficina\s+del\s+consumidor|defensor\s+del\s+(?:cliente|consumidor)|facua|profeco)\b",
            True,
        ),
        (
            "churn_threat",
            0.85,
            r"\b(?:me\s+(?:voy|cambio|paso)\s+(?:a|con)\s+(?:otr[oa]|la\s+competencia|\w+\s+que)|cambiar(?:me)?\s+de\s+(?:compania|banco|operador|proveedor|empresa|aerolinea)|nunca\s+mas|no\s+(?:vuelvo|volvere)\s+a\s+(?:comprar|volar|usar|pedir|contratar)|ultima\s+vez\s+que\s+(?:compro|uso|pido|vuelo|contrato)|la\s+competencia|perdido\s+un\s+cliente|buscar(?:e)?\s+otr[oa]\s+(?:compania|banco|operador|proveedor|empresa))",
            True,
        ),
        (
            "churn_threat",
            0.45,
            r"\b(?:dar(?:me)?\s+de\s+baja|darnos\s+de\s+baja|cancelar\s+(?:mi|la|el|nuestra)\s+(?:cuenta|suscripcion|contrato|linea|servicio|plan))\b",
            True,
        ),
        (
            "billing_dispute",
            0.85,
            r"\b(?:(?:me\s+)?(?:han\s+)?cobra(?:do|ron)\s+(?:dos\s+veces|doble|de\s+mas|algo\s+que)|cobro\s+(?:indebido|duplicado|doble)|cargo\s+(?:indebido|duplicado|desconocido)|no\s+reconozco\s+(?:este|el|un|esta|la|ese|esa)?\s*(?:cargo|cobro|pago|movimiento|compra)|(?:donde\s+esta|sigo\s+sin|todavia\s+no|aun\s+no|no\s+(?:he\s+)?recibid\w*)\s+(?:mi\s+|el\s+|la\s+)?(?:reembolso|devolucion|dinero)|no\s+me\s+han\s+devuelto)",
            False,
        ),
        (
            "billing_dispute",
            0.4,
            r"\b(?:reembolso|devolucion|cobro|cargo|factura|cobrad\w+|cobrar\w*|comision)\w*",
            False,
        ),
        (
            "security_fraud",
            0.9,
            r"\b(?:fraude\w*|estafa\w*|robad[oa]s?|me\s+(?:han\s+)?robad\w*|me\s+robaron|hackead\w*|jaquead\w*|suplantacion|phishing|(?:perdi|he\s+perdido|extravie)\s+(?:mi|la)\s+(?:tarjeta|cartera|movil|telefono)|alguien\s+(?:ha\s+)?(?:entrado|accedido|usado|uso|sacado)|sin\s+mi\s+(?:permiso|autorizacion|consentimiento))",
            False,
        ),
        (
            "security_fraud",
            0.75,
            r"\b(?:cuenta|tarjeta)\s+(?:\w+\s+)?(?:bloquead\w+|suspendid\w+|congelad\w+)|el\s+cajero\s+se\s+(?:trago|quedo)",
            False,
        ),
        (
            "repeated_contact",
            0.75,
            r"\b(?:(?:segunda|tercera|cuarta|quinta|enesima)\s+vez|(?:dos|tres|cuatro|cinco|\d+)\s+veces|ya\s+(?:lo\s+)?(?:he\s+)?(?:dicho|explicado|escrito|llamado)|otra\s+vez\s+lo\s+mismo)",
            False,
        ),
        (
            "repeated_contact",
            0.35,
            r"\b(?:otra\s+vez|de\s+nuevo|todavia|sigue|siguen|sigo)\b",
            False,
        ),
        (
            "waiting_time",
            0.6,
            r"\b(?:esperando|en\s+espera|sin\s+respuesta|nadie\s+(?:me\s+)?(?:contesta|responde)|desde\s+(?:el\s+)?(?:lunes|martes|miercoles|jueves|viernes|sabado|domingo|ayer|hace))\b",
            False,
        ),
        (
            "service_failure",
            0.8,
            r"\b(?:nadie\s+(?:me\s+)?(?:contesta|responde|ayuda|atiende|soluciona)|me\s+(?:han\s+)?colgado|me\s+colgaron|(?:perdieron|han\s+perdido|perdido)\s+(?:mi|el|la)\s+(?:maleta|equipaje|paquete|pedido)|cancelaron\s+(?:mi|el)\s+(?:vuelo|pedido)|pesim[oa]\s+(?:servicio|atencion)|no\s+(?:me\s+)?(?:quieren|quiere)\s+(?:ayudar|devolver|solucionar))",
            True,
        ),
        (
            "service_failure",
            0.65,
            r"\b(?:no\s+(?:me\s+)?funciona\w*|ha\s+dejado\s+de\s+funcionar|no\s+(?:me\s+)?deja\s+(?:entrar|pagar|acceder)|no\s+puedo\s+(?:entrar|acceder|iniciar\s+sesion|pagar|conectar\w*)|(?:llego|ha\s+llegado)\s+(?:roto|rota|danad[oa]|defectuos[oa])|(?:no|nunca)\s+(?:me\s+)?(?:ha\s+)?llega(?:do|ron)?|nunca\s+llego|se\s+(?:cierra|cuelga|bloquea))",
            False,
        ),
        (
            "problem",
            0.5,
            r"\b(?:error|fallo|falla|problema|incidencia|rechazad\w*|denegad\w*|pendiente|no\s+va)\b",
            True,
        ),
        (
            "profanity",
            0.85,
            r"\b(?:joder|jodid\w*|mierda|put[oa]s?|putada|cabron\w*|gilipollas|hostia\w*|carajo|chingad\w*|pendej\w*|coño|cono)\b",
            False,
        ),
        ("profanity", 0.55, r"\b(?:maldit\w*|porqueria|cagada|narices|leches)\b", False),
        (
            "bot_failure",
            0.7,
            r"\b(?:no\s+me\s+entiendes|no\s+entiendes\s+nada|(?:eso\s+)?no\s+es\s+lo\s+que\s+(?:he\s+)?(?:pregunt\w+|dije|pedi)|no\s+sirves?\s+para\s+nada|no\s+me\s+(?:estas\s+)?ayuda\w*|(?:bot|robot|maquina)\s+inutil|ya\s+te\s+lo\s+(?:dije|he\s+dicho))",
            False,
        ),
        (
            "sarcasm",
            0.7,
            r"\b(?:gracias\s+por\s+nada|vaya\s+servicio|menudo\s+servicio|que\s+gran\s+servicio)\b",
            False,
        ),
        (
            "sarcasm_weak",
            0.7,
            r"\b(?:(?:me\s+)?encanta\s+(?:que|como|cuando|esperar)|genial|que\s+maravilla|muchas\s+gracias|mil\s+gracias|perfecto|fantastico|estupendo|de\s+lujo|bravo|si,?\s+claro)\b",
            False,
        ),
        (
            "complaint_cue",
            0.65,
            r"\b(?:(?:es\s+)?una\s+verguenza|vergonzoso|inaceptable|indignante|lamentable|pesim[oa]|tomadura\s+de\s+pelo|no\s+hay\s+derecho|un\s+desastre|una\s+estafa|cada\s+vez\s+peor|dejan\s+mucho\s+que\s+desear)\b",
            False,
        ),
    ),
)

DE = Language(
    code="de",
    negators=frozenset(
        "nicht nichts kein keine keinen keinem keiner keines nie niemals niemand ohne weder nirgends".split()
    ),
    boosters={
        "sehr": 1.4,
        "so": 1.2,
        "total": 1.3,
        "echt": 1.3,
        "wirklich": 1.3,
        "extrem": 1.4,
        "voll": 1.3,
        "mega": 1.4,
        "super": 1.3,
        "absolut": 1.3,
        "ziemlich": 1.2,
        "zu": 1.1,
        "richtig": 1.2,
    },
    lexicon=_lex(
        p3="toll* super* klasse wunderbar* perfekt* ausgezeichnet* fantastisch* grossartig* genial* hervorragend* liebe lieben geliebt* begeistert* gluecklich* glucklich* freue freuen freut wahnsinn*",
        p2="gut gute guter gutes guten danke dank dankbar* schoen* schon* nett* freundlich* lustig* spass froh hilfreich* empfehl* zufrieden* klappt funktioniert prima bestens gewonnen gewinn* sieg* erfolg* hoffnung* cool lecker* schnell* einfach* juhu yeah",
        p1="ok okay okay interessant* ruhig* passt",
        n3="scheisse scheiss* beschissen* katastroph* furchtbar* schrecklich* entsetzlich* hasse hass* ekel* unverschaemt* frechheit* skandal* betrug* betrueg* abzocke* sauerei* schlimmst* miserabel* mist* unfaehig* nutzlos* peinlich* widerlich*",
        n2="schlecht* schlimm* traurig* aerger* arger* wuetend* wutend* wut sauer nervig* nervt* genervt* enttaeusch* enttausch* frust* kaputt* langsam* luege* lueg* angst* sorge* besorgt* langweil* muede* schmerz* weinen* verlor* verlier* unfair* ungerecht* dumm* bloed* idiot* schuld* krise* tot tod toet* krieg* problem* fehler* mangel* teuer* leider schade doof* versagt* zerstoert* beschwer*",
        n1="warte* warten wartet spaet* offen* schwierig* kompliziert*",
    ),
    negated_before=r"\b(?:nicht|nie|niemals|kein\w*|ohne)\b(?:\s+\w+){0,3}\s*$",
    waits=_waits(
        "ein|eine|einen|einem|zwei|drei|vier|fuenf|funf|sechs|zehn|mehrere|viele|seit",
        {
            0.9: "monaten?|monat|jahren?|jahr",
            0.85: "wochen?",
            0.75: "tagen?|tag",
            0.65: "stunden?",
            0.45: "minuten?",
        },
    ),
    patterns=(
        (
            "safety",
            1.0,
            r"\b(?:selbstmord\w*|suizid\w*|mich\s+umbringen|mir\s+das\s+leben\s+nehmen|(?:will|moechte|mochte)\s+(?:nicht\s+mehr\s+leben|sterben)|nicht\s+mehr\s+leben|alles\s+beenden|mir\s+(?:etwas|was)\s+antun|keinen\s+sinn\s+mehr|kann\s+nicht\s+mehr\s+weiter|halte\s+(?:das|es)\s+nicht\s+mehr\s+aus|ohne\s+mich\s+besser\s+dran)",
            False,
        ),
        (
            "safety",
            0.9,
            r"\b(?:brand|brennt|feuer\s+gefangen|gasleck|gas\s+riecht|rauch\s+kommt|stromschlag|explodiert|(?:bedroht|angegriffen|geschlagen)\s+(?:mich|worden)|(?:hat|haben)\s+mich\s+(?:bedroht|angegriffen|geschlagen)|bin\s+in\s+gefahr|medizinischer\s+notfall|notfall)\b",
            False,
        ),
        (
            "human_request",
            0.95,
            r"\b(?:mit\s+)?(?:einem|einer|einen|eine|ein)?\s*(?:echten?\s+|richtigen?\s+|realen?\s+)?(?:menschen?|mitarbeiter\w*|person|berater\w*|sachbearbeiter\w*|kundenberater\w*|vorgesetzten|jemandem?)\s+(?:\w+\s+){0,2}?(?:sprechen|reden|chatten|verbunden|verbinden|telefonieren)\b|\b(?:will|moechte|mochte|brauche|verlange)\s+(?:einen?\s+)?(?:menschen|mitarbeiter\w*|echte\s+person|person|berater\w*)\b|\b(?:echter?\s+mensch|echte\s+person|mitarbeiter\s+bitte|mensch\s+bitte)\b",
            True,
        ),
        (
            "human_request",
            0.9,
            r"\b(?:kein\w*|nicht\s+(?:mit\s+)?(?:einem|dem)|genug\s+(?:vom|von\s+dem)|schluss\s+mit\s+(?:dem)?|hasse|nie\s+wieder|weg\s+mit\s+(?:dem)?)\s*(?:\w+\s+){0,2}?(?:bots?|roboter|maschinen?|chatbots?|automaten?|computer)\b",
            False,
        ),
        (
            "complaint",
            0.85,
            r"\b(?:beschwerde\s+(?:einreichen|einlegen|schreiben|machen)|(?:offizielle|formelle|schriftliche)\s+beschwerde|mich\s+beschweren|beschwere\s+mich|reklamation)\b",
            True,
        ),
        (
            "legal_threat",
            0.9,
            r"\b(?:anwalt|anwaeltin|anwalt\w*|rechtsanwalt\w*|verklagen|klage\w*|gericht\w*|rechtliche\s+schritte|verbraucherzentrale|anzeige\s+erstatten|zeige\s+(?:sie|euch)\s+an|bafin|schlichtungsstelle)\b",
            True,
        ),
        (
            "churn_threat",
            0.85,
            r"\b(?:(?:wechsle|wechseln|wechsel)\s+(?:zu|zur|zum)\s+(?:einem|einer|der|dem)?\s*\w+|(?:wechsle|wechseln)\s+(?:den|die|das)\s+(?:anbieter|bank|provider|airline)|anbieter\w*\s+wechseln|zur\s+konkurrenz|nie\s+wieder|zum\s+letzten\s+mal|(?:bin|sind)\s+(?:weg|raus)|einen\s+kunden\s+verloren|kunden\s+weniger)",
            True,
        ),
        (
            "churn_threat",
            0.45,
            r"\b(?:kuendig\w*|kundig\w*|konto\s+(?:loeschen|schliessen|aufloesen)|vertrag\s+(?:beenden|aufloesen)|abo\s+(?:beenden|kuendigen|kundigen))",
            True,
        ),
        (
            "billing_dispute",
            0.85,
            r"\b(?:doppelt\s+(?:abgebucht|belastet|berechnet|bezahlt)|zweimal\s+(?:abgebucht|belastet|berechnet|bezahlt)|zu\s+viel\s+(?:abgebucht|berechnet|bezahlt)|falsch\s+berechnet|(?:unbekannte|fremde|unberechtigte)\s+(?:abbuchung|buchung|zahlung|transaktion)\w*|(?:abbuchung|buchung|zahlung)\s+(?:\w+\s+){0,3}nicht\s+(?:erkenne|gemacht|autorisiert)|(?:wo\s+bleibt|immer\s+noch\s+kein\w*|noch\s+kein\w*|nie\s+\w+)\s+(?:meine\s+|die\s+)?(?:rueckerstattung|ruckerstattung|erstattung|geld|gutschrift))",
            False,
        ),
        (
            "billing_dispute",
            0.4,
            r"\b(?:rueckerstattung|ruckerstattung|erstattung|rechnung|abbuchung|abgebucht|gebuehr\w*|gebuhr\w*|geld\s+zurueck|geld\s+zuruck|berechnet)\w*",
            False,
        ),
        (
            "security_fraud",
            0.9,
            r"\b(?:betrug\w*|betrueger\w*|betruger\w*|gestohlen\w*|geklaut|gehackt|phishing|identitaetsdiebstahl|(?:karte|handy|geldbeutel|portemonnaie)\s+(?:\w+\s+)?(?:verloren|gestohlen|weg)|(?:jemand|fremde)\s+(?:hat|haben)\s+(?:\w+\s+){0,3}(?:zugegriffen|eingeloggt|benutzt|abgehoben)|ohne\s+mein\w*\s+(?:wissen|erlaubnis|zustimmung))\b",
            False,
        ),
        (
            "security_fraud",
            0.75,
            r"\b(?:(?:konto|karte)\s+(?:\w+\s+)?(?:gesperrt|blockiert|eingefroren)|ausgesperrt|automat\s+hat\s+(?:meine\s+)?karte)",
            False,
        ),
        (
            "repeated_contact",
            0.75,
            r"\b(?:(?:zweite|dritte|vierte|fuenfte|funfte|x-te|zigste)[ns]?\s+mal|zum\s+(?:zweiten|dritten|vierten|x-ten)\s+mal|(?:zwei|drei|vier|fuenf|\d+)\s*mal|schon\s+(?:wieder|mehrfach|mehrmals|oft)|habe\s+(?:es\s+)?(?:doch\s+)?(?:schon|bereits)\s+(?:gesagt|geschrieben|erklaert|angerufen))",
            False,
        ),
        (
            "repeated_contact",
            0.35,
            r"\b(?:wieder|immer\s+noch|noch\s+immer|erneut|nochmal)\b",
            False,
        ),
        (
            "waiting_time",
            0.6,
            r"\b(?:warte\s+(?:seit|immer|schon|noch|auf)|warten\s+(?:seit|schon|auf)|keine\s+antwort|niemand\s+(?:antwortet|meldet\s+sich)|seit\s+(?:montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|gestern|tagen|wochen))\b",
            False,
        ),
        (
            "service_failure",
            0.8,
            r"\b(?:niemand\s+(?:antwortet|hilft|meldet\s+sich|geht\s+ran)|aufgelegt|(?:koffer|gepaeck|gepack|paket|sendung)\s+(?:\w+\s+){0,2}(?:verloren|verschwunden)|flug\s+(?:wurde\s+)?(?:gestrichen|storniert|annulliert)|(?:unmoeglicher|miserabler|schlechter|katastrophaler)\s+(?:service|kundenservice|kundendienst)|(?:weigern|weigert)\s+sich)",
            True,
        ),
        (
            "service_failure",
            0.65,
            r"\b(?:funktioniert\s+(?:\w+\s+)?nicht|geht\s+(?:\w+\s+)?nicht|klappt\s+(?:\w+\s+)?nicht|kann\s+mich\s+nicht\s+(?:anmelden|einloggen)|(?:kaputt|beschaedigt|defekt)\s+(?:angekommen|geliefert)|(?:nie|nicht)\s+angekommen|stuerzt\s+(?:\w+\s+)?ab|sturzt\s+(?:\w+\s+)?ab)",
            False,
        ),
        (
            "problem",
            0.5,
            r"\b(?:fehler\w*|problem\w*|stoerung|storung|abgelehnt|ausstehend|haengt|hangt|bug)\b",
            True,
        ),
        (
            "profanity",
            0.85,
            r"\b(?:scheisse|scheiss\w*|beschissen\w*|verdammt\w*|arschloch\w*|fick\w*|verarsche\w*|kacke)\b",
            False,
        ),
        ("profanity", 0.55, r"\b(?:mist|mistding|bloed\w*|verflixt)\b", False),
        (
            "bot_failure",
            0.7,
            r"\b(?:du\s+verstehst\s+(?:mich\s+)?nicht|das\s+(?:habe|hab)\s+ich\s+nicht\s+gefragt|das\s+ist\s+nicht\s+(?:meine\s+frage|was\s+ich)|(?:nutzloser|dummer|bloeder)\s+(?:bot|roboter)|du\s+hilfst\s+(?:mir\s+)?nicht|hab(?:e)?\s+ich\s+(?:doch\s+)?schon\s+gesagt)",
            False,
        ),
        (
            "sarcasm",
            0.7,
            r"\b(?:danke\s+fuer\s+nichts|danke\s+fur\s+nichts|na\s+toll|na\s+super|na\s+prima|vielen\s+dank\s+auch|echt\s+toll\s+gemacht)\b",
            False,
        ),
        (
            "sarcasm_weak",
            0.7,
            r"\b(?:toll|super|klasse|prima|perfekt|vielen\s+dank|danke\s+schoen|grossartig|wunderbar|liebe\s+es|bravo|ja,?\s+klar)\b",
            False,
        ),
        (
            "complaint_cue",
            0.65,
            r"\b(?:eine\s+frechheit|frechheit|unverschaemt\w*|unverschamt\w*|inakzeptabel|unzumutbar|skandal\w*|katastrophe|eine\s+zumutung|zumutung|armutszeugnis|peinlich|abzocke|saftladen|immer\s+schlimmer)\b",
            False,
        ),
    ),
)

FR = Language(
    code="fr",
    negators=frozenset("ne n pas jamais rien aucun aucune sans ni nul nulle guere".split()),
    boosters={
        "tres": 1.4,
        "trop": 1.3,
        "vraiment": 1.3,
        "tellement": 1.4,
        "super": 1.3,
        "si": 1.2,
        "grave": 1.3,
        "vachement": 1.3,
        "carrement": 1.3,
        "archi": 1.4,
        "extremement": 1.4,
        "franchement": 1.1,
        "completement": 1.3,
        "totalement": 1.3,
        "hyper": 1.4,
        "assez": 1.1,
        "plutot": 1.1,
    },
    lexicon=_lex(
        p3="sublime* splendide* magique* adorabl* kiff* ouf jubil* extase euphori* epoustoufl* grandiose* excellent* genial* geniaux merveill* fantastiqu* parfait* incroyabl* magnifiqu* superbe* extraordinaire* adore adorer adorons heureux heureuse* bonheur* felicit* top bravo",
        p2="joie* joyeu* sourire* rire rigol* marrant* ptdr hate vivement bisou* coeur* fier* fierte* reve reves rever reveur* merveille chapeau nickel impeccabl* classe canon bienvenue* soutien* courage bravissimo felicite* agreablement rassur* satisf* apprecie* appreci* paix amour* amoureu* ami amie amis amitie* chanceu* chance fete* vive champion* victorieu* extra chouette* enchant* accueillant* serviable* bon bonne bons bonnes bien merci remerci* beau belle beaux jolie* joli content* ravi* amus* drole* sympa* gentil* agreabl* utile* facile* meilleur* reussi* succes gagn* victoire* espoir* plaisir* aime aimer j'aime cool chouette formidable* rapide* efficace* recommand* felicitation*",
        p1="espere esperons interessant* doux douce* ok interessant* calme* tranquill* correct*",
        n3="ignobl* odieu* insupport* ecoeur* revoltant* abject* immonde* horreur* affreu* atroce* connerie* abruti* cretin* imbecil* connard* putain bordel foutage escroquer* voleur* voleuse* mensong* menteu* racket* arnaq* deplorabl* desastr* calamit* horribl* terribl* nul nulle nuls catastroph* honte* honteux honteuse* scandal* inadmissibl* inacceptabl* arnaqu* escroc* deteste* haine* degout* degueu* pire* merde* merdique* pourri* lamentabl* minabl* pitoyabl* inutil* debil* naze*",
        n2="relou* saoul* gonfl* vener* venere* deg beurk berk ridicul* absurd* deprim* chagrin* malheur* malheureu* larme* souffr* crev* epuis* attentat* terror* meurtr* victime* danger* menac* angoiss* stress* crain* cauchemar* panne* plante plantee plantage indign* revolt* trahi* echec* echou* raslebol grr* snif sniff ouin helas abus* incompet* incapabl* mepris* humili* vexe* insult* agress* violen* drame* tragi* deuil* deces decede* bless* mediocr* decevant* nulle* inutilement bugg* beug* lamentablement degrad* mal mauvais* mauvaise* triste* enerv* colere* furieu* agac* marre decu* decev* decept* frustr* casse* cassee* lent* lente* menteur* mensonge* peur* inquiet* ennui* ennuy* fatigu* douleur* pleur* perdu* perdre injust* idiot* stupid* con conne* faute* grave crise mort* tue* guerre* probleme* souci* galere* chiant* penible* dommage* triste cher chere* regret*",
        n1="desole* dommage bof mouais inquietant* bizarre* etrange* attente* attend* retard* erreur* difficile* complique*",
    ),
    negated_before=r"\b(?:ne|n|pas|jamais|sans|aucun\w*|plus)\b(?:\s+\w+){0,3}\s*$",
    waits=_waits(
        "un|une|deux|trois|quatre|cinq|six|dix|plusieurs|quelques|des",
        {
            0.9: "mois|ans?|annees?",
            0.85: "semaines?",
            0.75: "jours?",
            0.65: "heures?",
            0.45: "minutes?",
        },
    ),
    patterns=(
        (
            "safety",
            1.0,
            r"\b(?:suicid\w*|me\s+tuer|mettre\s+fin\s+a\s+(?:mes\s+jours|ma\s+vie)|en\s+finir|(?:veux|envie\s+de)\s+mourir|me\s+faire\s+du\s+mal|plus\s+(?:envie|la\s+force)\s+de\s+vivre|(?:je\s+)?(?:ne\s+)?vois\s+plus\s+(?:l'interet|le\s+sens|de\s+raison)|(?:je\s+)?n'?en\s+peux\s+plus|que\s+tout\s+s'?arrete|mieux\s+sans\s+moi)",
            False,
        ),
        (
            "safety",
            0.9,
            r"\b(?:incendie|a\s+pris\s+feu|prend\s+feu|fuite\s+de\s+gaz|de\s+la\s+fumee|electrocut\w*|decharge\s+electrique|explose|(?:m'?a|m'?ont)\s+(?:menace|agresse|frappe)|je\s+suis\s+en\s+danger|urgence\s+medicale)",
            False,
        ),
        (
            "human_request",
            0.95,
            r"\b(?:parler|discuter|echanger|joindre|contacter|avoir|passer|mettre\s+en\s+relation)\s+(?:a|avec|en\s+relation\s+avec)?\s*(?:un|une|le|la|quelqu'?un|quelqu\s+un)?\s*(?:vrai\s+|vraie\s+|veritable\s+)?(?:personne|humain|etre\s+humain|conseiller\w*|agent|operat\w+|interlocut\w+|responsable|superieur|quelqu'?un)\b|\b(?:je\s+veux|je\s+voudrais|j'?exige|il\s+me\s+faut|besoin\s+d'?)\s*(?:un|une)?\s*(?:humain|conseiller|vraie?\s+personne|agent)\b|\b(?:un\s+humain|une\s+vraie\s+personne|conseiller\s+svp|humain\s+svp)\b",
            True,
        ),
        (
            "human_request",
            0.9,
            r"\b(?:(?:je\s+)?(?:ne\s+)?veux\s+pas|marre\s+(?:de|des|du)|assez\s+(?:de|des|du)|plus\s+de|stop\s+(?:aux?|le|les)?|deteste)\s+(?:\w+\s+){0,3}?(?:bots?|robots?|machines?|chatbots?|repondeur\w*|automates?|ia)\b",
            False,
        ),
        (
            "complaint",
            0.85,
            r"\b(?:(?:deposer|porter|faire|formuler|envoyer)\s+(?:une\s+)?(?:plainte|reclamation)|plainte\s+officielle|reclamation\s+officielle|je\s+(?:veux|vais)\s+(?:me\s+)?plaindre)\b",
            True,
        ),
        (
            "legal_threat",
            0.9,
            r"\b(?:avocat\w*|porter\s+plainte|plainte\s+contre|poursuivre\s+en\s+justice|poursuites|tribunal|justice|action\s+en\s+justice|mise\s+en\s+demeure|ufc|que\s+choisir|60\s+millions|mediateur|dgccrf|huissier)\b",
            True,
        ),
        (
            "churn_threat",
            0.85,
            r"\b(?:(?:je\s+)?(?:vais\s+)?(?:passer|partir|aller)\s+(?:chez|a\s+la)\s+(?:\w+|la\s+concurrence)|changer\s+d'?(?:operateur|banque|fournisseur|compagnie)|la\s+concurrence|plus\s+jamais|(?:je\s+)?(?:ne\s+)?(?:reviendrai|recommanderai|commanderai|volerai)\s+(?:plus\s+)?jamais|derniere\s+fois\s+que|perdu\s+un\s+client|je\s+(?:pars|m'?en\s+vais)\s+(?:chez|ailleurs))",
            True,
        ),
        (
            "churn_threat",
            0.45,
            r"\b(?:resilier|resiliation|fermer\s+mon\s+compte|annuler\s+(?:mon|ma)\s+(?:abonnement|contrat|compte|forfait)|me\s+desabonner)",
            True,
        ),
        (
            "billing_dispute",
            0.85,
            r"\b(?:(?:debite|preleve|facture)e?s?\s+(?:deux\s+fois|en\s+double|a\s+tort|trop)|(?:double|deux)\s+prelevements?|prelevement\s+(?:inconnu|non\s+autorise|abusif)|je\s+(?:ne\s+)?reconnais\s+pas\s+(?:ce|cette|le|la)\s+(?:paiement|prelevement|debit|operation|transaction|achat)|(?:toujours\s+pas|jamais)\s+(?:recu|eu|ete\s+rembourse)\s*(?:mon|le|de)?\s*(?:remboursement|argent)?|ou\s+est\s+mon\s+(?:remboursement|argent)|pas\s+(?:ete\s+)?rembourse)",
            False,
        ),
        (
            "billing_dispute",
            0.4,
            r"\b(?:rembours\w*|factur\w*|prelev\w*|debit\w*|frais|paiement)\b",
            False,
        ),
        (
            "security_fraud",
            0.9,
            r"\b(?:fraude\w*|frauduleu\w*|arnaque\w*|escroquer\w*|vole[es]?|piratee?s?|pirate|hacke\w*|phishing|hameconnage|usurpation|(?:perdu|egare)\s+(?:ma|mon)\s+(?:carte|telephone|portefeuille)|quelqu'?un\s+(?:a\s+)?(?:utilise|accede|pris)|sans\s+mon\s+(?:accord|autorisation|consentement))\b",
            False,
        ),
        (
            "security_fraud",
            0.75,
            r"\b(?:(?:compte|carte)\s+(?:\w+\s+)?(?:bloquee?|suspendue?|gelee?)|le\s+distributeur\s+a\s+(?:avale|garde))",
            False,
        ),
        (
            "repeated_contact",
            0.75,
            r"\b(?:(?:deuxieme|troisieme|quatrieme|cinquieme|enieme|nieme)\s+fois|(?:deux|trois|quatre|cinq|\d+)\s+fois|deja\s+(?:dit|explique|ecrit|appele|signale)|encore\s+une\s+fois)",
            False,
        ),
        ("repeated_contact", 0.35, r"\b(?:encore|toujours|de\s+nouveau|a\s+nouveau)\b", False),
        (
            "waiting_time",
            0.6,
            r"\b(?:j'?attends|en\s+attente|toujours\s+pas\s+de\s+reponse|sans\s+reponse|personne\s+ne\s+(?:repond|rappelle)|depuis\s+(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|hier|des))\b",
            False,
        ),
        (
            "service_failure",
            0.8,
            r"\b(?:personne\s+ne\s+(?:repond|m'?aide|rappelle)|raccroche\w*|(?:perdu|egare)\s+(?:ma|mon|mes)\s+(?:valise|bagage|colis)s?|(?:vol|commande)\s+(?:a\s+ete\s+)?annule\w*|service\s+client\s+(?:nul|inexistant|lamentable|catastrophique)|refus\w*\s+de\s+(?:m'?aider|rembourser))",
            True,
        ),
        (
            "service_failure",
            0.65,
            r"\b(?:(?:ne|n)\s+(?:\w+\s+)?(?:marche|fonctionne)\s+(?:\w+\s+)?(?:pas|plus)|(?:arrive|reste)\s+(?:pas|jamais)|jamais\s+(?:arrive|recu)|n'?arrive\s+pas\s+a\s+me\s+connecter|impossible\s+de\s+(?:me\s+connecter|payer|acceder)|(?:arrive|livre)e?\s+(?:casse|abime|endommage)e?|plante)",
            False,
        ),
        (
            "problem",
            0.5,
            r"\b(?:erreur|bug|bogue|probleme|souci|panne|refusee?|en\s+attente|bloque)\b",
            True,
        ),
        (
            "profanity",
            0.85,
            r"\b(?:putain|merde\w*|bordel|connard\w*|connasse|encul\w*|salop\w*|fait\s+chier|foutu\w*|nique)\b",
            False,
        ),
        ("profanity", 0.55, r"\b(?:zut|mince|punaise|crotte)\b", False),
        (
            "bot_failure",
            0.7,
            r"\b(?:tu\s+(?:ne\s+)?(?:me\s+)?comprends\s+(?:rien|pas)|ce\s+n'?est\s+pas\s+(?:ce\s+que\s+j'?ai\s+(?:demande|dit)|ma\s+question)|(?:bot|robot)\s+(?:inutile|nul)|tu\s+(?:ne\s+)?m'?aides\s+pas|je\s+(?:te\s+)?l'?ai\s+deja\s+dit)",
            False,
        ),
        (
            "sarcasm",
            0.7,
            r"\b(?:merci\s+pour\s+rien|merci\s+de\s+rien|c'?est\s+ca\s+oui|quel\s+service)\b",
            False,
        ),
        (
            "sarcasm_weak",
            0.7,
            r"\b(?:genial|super|parfait|merci\s+beaucoup|bravo|formidable|j'?adore|top|magnifique|chapeau|mais\s+bien\s+sur)\b",
            False,
        ),
        (
            "complaint_cue",
            0.65,
            r"\b(?:(?:c'?est\s+)?(?:une\s+)?honte|honteux|inadmissible|inacceptable|scandaleux|lamentable|n'?importe\s+quoi|du\s+foutage\s+de\s+gueule|foutage|on\s+se\s+moque\s+de\s+(?:nous|moi)|de\s+pire\s+en\s+pire|pas\s+normal)\b",
            False,
        ),
    ),
)

PT = Language(
    code="pt",
    negators=frozenset("nao nunca jamais nem nada ninguem sem nenhum nenhuma tampouco".split()),
    boosters={
        "muito": 1.4,
        "muita": 1.4,
        "tao": 1.3,
        "super": 1.4,
        "demais": 1.3,
        "bem": 1.2,
        "realmente": 1.3,
        "totalmente": 1.3,
        "bastante": 1.2,
        "mais": 1.1,
        "mt": 1.4,
        "mto": 1.4,
    },
    lexicon=_lex(
        p3="excelente* otim* maravilh* fantastic* perfeit* incrivel* incriveis adoro amo amei lind* sensacional* espetacular* feliz felizes felicidade* parabens orgulh* show top",
        p2="bom boa bons boas bem obrigad* agradec* bonit* alegr* content* divert* favorit* recomend* simpatic* util uteis facil* melhor melhores sucesso* vitoria* venc* ganh* esperanc* gost* curt* legal massa demais rapid* eficiente* fofo* fofa* amor beijo* abraco* delicia*",
        p1="ok interessante* tranquil* calm*",
        n3="horrivel* terrivel* pessim* nojo* odeio odio* vergonh* desastr* lamentavel* absurd* ridicul* lixo* inutil* inuteis golpe* pior piores merda* porcaria* corrupt* ladr* nojent* patetic* palhacada*",
        n2="mal mau maus triste* chat* irritad* raiva* brav* decepcion* frustr* quebr* lent* mentir* mentira* medo* preocup* tedio* cansad* dor* chor* perd* injust* idiot* burr* culpa* grave* crise* mort* mata* guerra* problema* falha* pena saudade* caro ruim ruins sofr* infeliz* revolt*",
        n1="espera* esperando pendente* erro* atras* dificil* complicad*",
    ),
    negated_before=r"\b(?:nao|nunca|jamais|sem|nem)\b(?:\s+\w+){0,3}\s*$",
    waits=_waits(
        "um|uma|dois|duas|tres|quatro|cinco|seis|dez|varios|varias|muitos|muitas",
        {0.9: "mes|meses|anos?", 0.85: "semanas?", 0.75: "dias?", 0.65: "horas?", 0.45: "minutos?"},
    ),
    patterns=(
        (
            "safety",
            1.0,
            r"\b(?:suicid\w*|me\s+matar|tirar\s+a\s+minha\s+(?:propria\s+)?vida|acabar\s+com\s+(?:a\s+minha\s+vida|tudo)|(?:quero|vontade\s+de)\s+morrer|nao\s+quero\s+mais\s+viver|me\s+machucar|nao\s+vejo\s+(?:mais\s+)?sentido\s+(?:em|na|nisso)|nao\s+aguento\s+mais|nao\s+consigo\s+mais|sumir\s+para\s+sempre|melhor\s+sem\s+mim)",
            False,
        ),
        (
            "safety",
            0.9,
            r"\b(?:incendio|pegou\s+fogo|vazamento\s+de\s+gas|saindo\s+fumaca|choque\s+eletrico|explodiu|(?:me\s+)?(?:ameacou|ameacaram|agrediu|bateu\s+em\s+mim)|estou\s+em\s+perigo|emergencia\s+medica)",
            False,
        ),
        (
            "human_request",
            0.95,
            r"\b(?:falar|conversar|comunicar|contatar|contactar|passar|transferir)\s+(?:me\s+)?(?:com|para)?\s*(?:um|uma|o|a|algum|alguma)?\s*(?:pessoa|humano|atendente|agente|operador\w*|representante|funcionari\w*|responsavel|supervisor\w*|gerente|alguem(?:\s+de\s+verdade)?)\b|\b(?:quero|preciso|exijo|prefiro)\s+(?:um|uma)?\s*(?:pessoa|humano|atendente|operador)\b|\b(?:atendente|humano|pessoa)\s+(?:de\s+verdade|real|por\s+favor|pfv|ja)\b",
            True,
        ),
        (
            "human_request",
            0.9,
            r"\b(?:nao\s+quero|chega\s+de|cansad[oa]s?\s+de|odeio|para\s+de|nada\s+de|sem\s+mais)\s+(?:\w+\s+){0,3}?(?:bots?|robos?|robots?|maquinas?|chatbots?|atendimento\s+automatico|respostas\s+automaticas)\b",
            False,
        ),
        (
            "complaint",
            0.85,
            r"\b(?:(?:fazer|registrar|abrir|formalizar)\s+(?:uma\s+)?(?:reclamacao|queixa)|reclame\s+aqui|reclameaqui|quero\s+reclamar)\b",
            True,
        ),
        (
            "legal_threat",
            0.9,
            r"\b(?:advogad[oa]s?|processar|processo\s+judicial|justica|procon|juizado|tribunal|acao\s+judicial|medidas\s+legais|anatel|bacen|banco\s+central)\b",
            True,
        ),
        (
            "churn_threat",
            0.85,
            r"\b(?:(?:vou\s+)?(?:mudar|trocar)\s+(?:de\s+)?(?:operadora|banco|empresa|companhia|fornecedor)|(?:vou|irei)\s+para\s+(?:a\s+)?(?:concorrencia|outr[ao])|concorrencia|nunca\s+mais|ultima\s+vez\s+que\s+(?:compro|uso|peco|voo)|perderam\s+um\s+cliente|(?:vou|irei)\s+(?:pra|para)\s+\w+)",
            True,
        ),
        (
            "churn_threat",
            0.45,
            r"\b(?:cancelar\s+(?:minha|meu|a|o)\s+(?:conta|assinatura|plano|contrato|cartao|linha)|encerrar\s+(?:minha|a)\s+conta)\b",
            True,
        ),
        (
            "billing_dispute",
            0.85,
            r"\b(?:cobrad[oa]s?\s+(?:duas\s+vezes|em\s+dobro|a\s+mais|indevidamente)|cobranca\s+(?:indevida|duplicada|em\s+dobro)|(?:nao\s+reconheco|desconheco)\s+(?:essa|esta|a|o|um|uma)?\s*(?:compra|cobranca|transacao|pagamento|debito)|(?:cade|onde\s+esta|ainda\s+nao\s+(?:recebi|caiu)|nao\s+recebi)\s+(?:o\s+|meu\s+)?(?:reembolso|estorno|dinheiro)|estorno\s+(?:nao|ainda))",
            False,
        ),
        (
            "billing_dispute",
            0.4,
            r"\b(?:reembols\w*|estorn\w*|cobranc\w*|cobrad\w*|fatura\w*|boleto|taxa)\b",
            False,
        ),
        (
            "security_fraud",
            0.9,
            r"\b(?:fraude\w*|golpe\w*|roubad[oa]s?|furtad[oa]s?|me\s+roubaram|hackead\w*|invadid\w*|clonad[oa]s?|phishing|(?:perdi|extraviei)\s+(?:meu|minha|o|a)\s+(?:cartao|celular|carteira)|alguem\s+(?:usou|acessou|entrou)|sem\s+(?:minha\s+)?(?:autorizacao|permissao))\b",
            False,
        ),
        (
            "security_fraud",
            0.75,
            r"\b(?:(?:conta|cartao)\s+(?:\w+\s+)?(?:bloquead[oa]|suspens[oa]|congelad[oa])|o\s+caixa\s+(?:eletronico\s+)?(?:engoliu|reteve))",
            False,
        ),
        (
            "repeated_contact",
            0.75,
            r"\b(?:(?:segunda|terceira|quarta|quinta|enesima)\s+vez|(?:duas|tres|quatro|cinco|\d+)\s+vezes|ja\s+(?:falei|disse|expliquei|liguei|mandei|reclamei)|de\s+novo\s+(?:o\s+)?mesmo)",
            False,
        ),
        (
            "repeated_contact",
            0.35,
            r"\b(?:de\s+novo|outra\s+vez|novamente|ainda|continua|continuo)\b",
            False,
        ),
        (
            "waiting_time",
            0.6,
            r"\b(?:esperando|aguardando|na\s+espera|sem\s+resposta|ninguem\s+(?:me\s+)?(?:responde|atende)|desde\s+(?:segunda|terca|quarta|quinta|sexta|sabado|domingo|ontem))\b",
            False,
        ),
        (
            "service_failure",
            0.8,
            r"\b(?:ninguem\s+(?:me\s+)?(?:responde|ajuda|atende|resolve)|desligaram\s+na\s+minha\s+cara|(?:perderam|extraviaram)\s+(?:minha|meu|a|o)\s+(?:mala|bagagem|encomenda|pacote)|cancelaram\s+(?:meu|o)\s+(?:voo|pedido)|pessimo\s+atendimento|atendimento\s+(?:pessimo|horrivel|lixo)|se\s+recusa\w*\s+a)",
            True,
        ),
        (
            "service_failure",
            0.65,
            r"\b(?:nao\s+(?:\w+\s+)?funciona\w*|parou\s+de\s+funcionar|nao\s+consigo\s+(?:entrar|acessar|logar|pagar)|(?:chegou|veio)\s+(?:quebrad[oa]|danificad[oa]|com\s+defeito)|(?:nunca|nao)\s+chegou|trava\w*|fecha\s+sozinho)",
            False,
        ),
        ("problem", 0.5, r"\b(?:erro|falha|problema|bug|recusad[oa]|negad[oa]|pendente)\b", True),
        (
            "profanity",
            0.85,
            r"\b(?:porra|caralho|merda|puta|fdp|foda\w*|cacete|buceta|vsf|pqp|otari\w*)\b",
            False,
        ),
        ("profanity", 0.55, r"\b(?:droga|saco|bosta|raios)\b", False),
        (
            "bot_failure",
            0.7,
            r"\b(?:voce\s+nao\s+(?:me\s+)?entende|nao\s+(?:e|foi)\s+(?:isso\s+)?o\s+que\s+eu\s+(?:perguntei|disse|pedi)|(?:robo|bot)\s+inutil|nao\s+(?:esta\s+)?(?:me\s+)?ajuda(?:ndo)?\s+em\s+nada|ja\s+te\s+(?:falei|disse))",
            False,
        ),
        (
            "sarcasm",
            0.7,
            r"\b(?:obrigad[oa]\s+por\s+nada|ta\s+bom\s+entao|parabens\s+pel[oa]\s+(?:pessimo|atendimento|servico)|que\s+beleza\s+de\s+(?:servico|atendimento))\b",
            False,
        ),
        (
            "sarcasm_weak",
            0.7,
            r"\b(?:adoro\s+(?:quando|como|esperar)|otimo|maravilha|muito\s+obrigad[oa]|perfeito|parabens|show|que\s+beleza)\b",
            False,
        ),
        (
            "complaint_cue",
            0.65,
            r"\b(?:(?:uma\s+)?vergonha|vergonhoso|inaceitavel|absurdo|lamentavel|pessim[oa]|descaso|falta\s+de\s+respeito|palhacada|cada\s+vez\s+pior|um\s+lixo)\b",
            False,
        ),
    ),
)

IT = Language(
    code="it",
    negators=frozenset(
        "non mai niente nulla nessuno nessuna senza ne neanche nemmeno neppure".split()
    ),
    boosters={
        "molto": 1.4,
        "troppo": 1.3,
        "cosi": 1.2,
        "davvero": 1.3,
        "veramente": 1.3,
        "super": 1.4,
        "proprio": 1.2,
        "tanto": 1.3,
        "assolutamente": 1.3,
        "parecchio": 1.2,
        "piu": 1.1,
    },
    lexicon=_lex(
        p3="eccellent* fantastic* meraviglios* perfett* incredibil* stupend* splendid* bellissim* ottim* adoro amo felice felici felicita* complimenti bravissim* magnific* strepitos* grandios*",
        p2="buono buona buoni buone bene grazie ringrazi* bello bella belli belle carin* content* allegr* divertent* preferit* consigli* simpatic* gentil* utile* facil* meglio miglior* successo* vittori* vinc* vint* speranz* piace piaciuto amore bacio* abbracci* brav* forza evviva gioia* serenit* veloce* efficient*",
        p1="ok interessant* tranquill* calm*",
        n3="orribil* terribil* pessim* schifo* odio odi* vergogn* disastr* squallid* indecent* vergognos* ridicol* spazzatura* inutil* truff* peggio peggior* merda* corrott* ladr* schifos* pietos* vomit*",
        n2="male brutto brutta brutti brutte triste* arrabbiat* incazzat* nervos* delus* frustr* rott* lent* bugi* paura* preoccup* noia* annoi* stanc* dolor* piang* pers* ingiust* idiot* stupid* scem* colpa* grave* crisi* mort* uccid* guerra* problema* problemi guasto* costos* caro cara peccato purtroppo soffr* odioso fastidi* pazzesco",
        n1="attesa* aspett* ritard* errore* difficil* complicat*",
    ),
    negated_before=r"\b(?:non|mai|senza|ne|nessun\w*)\b(?:\s+\w+){0,3}\s*$",
    waits=_waits(
        "un|una|uno|due|tre|quattro|cinque|sei|dieci|diversi|diverse|molti|molte",
        {
            0.9: "mesi|mese|anni|anno",
            0.85: "settimane?|settimana",
            0.75: "giorni|giorno",
            0.65: "ore|ora",
            0.45: "minuti|minuto",
        },
    ),
    patterns=(
        (
            "safety",
            1.0,
            r"\b(?:suicid\w*|uccidermi|ammazzarmi|togliermi\s+la\s+vita|farla\s+finita|(?:voglio|vorrei)\s+morire|non\s+voglio\s+piu\s+vivere|farmi\s+del\s+male|non\s+(?:ha|vedo)\s+piu\s+(?:senso|nessun\s+senso)|non\s+ce\s+la\s+faccio\s+piu|sparire\s+per\s+sempre|meglio\s+senza\s+di\s+me)",
            False,
        ),
        (
            "safety",
            0.9,
            r"\b(?:incendio|ha\s+preso\s+fuoco|fuga\s+di\s+gas|esce\s+fumo|scossa\s+elettrica|esplos\w+|(?:mi\s+ha|mi\s+hanno)\s+(?:minacciat\w|aggredit\w|picchiat\w)|sono\s+in\s+pericolo|emergenza\s+medica)",
            False,
        ),
        (
            "human_request",
            0.95,
            r"\b(?:parlare|comunicare|chattare|contattare|passare(?:mi)?|mettermi\s+in\s+contatto)\s+(?:con\s+)?(?:un|una|uno|l'?|il|la|qualche)?\s*(?:persona|umano|essere\s+umano|operator\w+|addett\w+|agente|consulente|responsabile|impiegat\w+|qualcuno(?:\s+di\s+reale)?)\b|\b(?:voglio|vorrei|esigo|chiedo|ho\s+bisogno\s+di)\s+(?:un|una|uno)?\s*(?:persona|umano|operatore|operatrice|consulente)\b|\b(?:operatore|persona\s+vera|persona\s+reale|umano)\s+(?:per\s+favore|grazie|subito)\b",
            True,
        ),
        (
            "human_request",
            0.9,
            r"\b(?:non\s+voglio|basta\s+(?:con\s+)?|stufo\s+di|stufa\s+di|odio|smettila\s+di|niente\s+piu)\s*(?:\w+\s+){0,3}?(?:bot|robot|macchin\w+|chatbot|risponditore\s+automatico|risposte\s+automatiche)\b",
            False,
        ),
        (
            "complaint",
            0.85,
            r"\b(?:(?:fare|presentare|sporgere|inviare|aprire)\s+(?:un\s+)?(?:reclamo|lamentela)|reclamo\s+formale|voglio\s+lamentarmi)\b",
            True,
        ),
        (
            "legal_threat",
            0.9,
            r"\b(?:avvocat\w+|denunci\w+|fare\s+causa|vie\s+legali|tribunale|giudice|azione\s+legale|querela|codacons|altroconsumo|agcom|garante)\b",
            True,
        ),
        (
            "churn_threat",
            0.85,
            r"\b(?:(?:passo|passero|cambio|cambiero)\s+(?:a|ad|al|alla|con)\s+(?:un\s+altr\w+|la\s+concorrenza|\w+)|cambiare\s+(?:operatore|banca|gestore|compagnia|fornitore)|la\s+concorrenza|mai\s+piu|l'?ultima\s+volta\s+che|perso\s+un\s+cliente|vado\s+(?:da|con)\s+(?:un\s+altro|\w+))",
            True,
        ),
        (
            "churn_threat",
            0.45,
            r"\b(?:disdire|disdetta|recedere|recesso|chiudere\s+il\s+(?:mio\s+)?conto|annullare\s+(?:il\s+mio|l'?)\s*(?:abbonamento|contratto|account))",
            True,
        ),
        (
            "billing_dispute",
            0.85,
            r"\b(?:addebitat\w+\s+(?:due\s+volte|doppio|in\s+piu)|doppio\s+addebito|addebito\s+(?:non\s+autorizzato|sconosciuto|errato)|(?:non\s+riconosco)\s+(?:questo|il|l'?|un)?\s*(?:addebito|pagamento|movimento|acquisto)|(?:ancora\s+non|non\s+ho\s+(?:ancora\s+)?ricevuto|dov'?e)\s+(?:il\s+)?(?:mio\s+)?(?:rimborso|soldi|denaro)|rimborso\s+(?:mai|non))",
            False,
        ),
        (
            "billing_dispute",
            0.4,
            r"\b(?:rimbors\w*|addebit\w*|fattur\w*|bollett\w*|commission\w*)\b",
            False,
        ),
        (
            "security_fraud",
            0.9,
            r"\b(?:frode\w*|fraudolent\w*|truffa\w*|rubat[oa]|rubato|mi\s+hanno\s+rubato|hackerat\w*|phishing|clonat[oa]|(?:perso|smarrito)\s+(?:la\s+|il\s+)?(?:mia\s+|mio\s+)?(?:carta|telefono|portafoglio)|qualcuno\s+(?:ha\s+)?(?:usato|acceduto|preso)|senza\s+(?:la\s+mia\s+)?autorizzazione)\b",
            False,
        ),
        (
            "security_fraud",
            0.75,
            r"\b(?:(?:conto|carta)\s+(?:\w+\s+)?(?:bloccat[oa]|sospes[oa]|congelat[oa])|il\s+bancomat\s+(?:ha\s+)?(?:trattenuto|mangiato))",
            False,
        ),
        (
            "repeated_contact",
            0.75,
            r"\b(?:(?:seconda|terza|quarta|quinta|ennesima)\s+volta|(?:due|tre|quattro|cinque|\d+)\s+volte|(?:l'?ho\s+)?gia\s+(?:detto|spiegato|scritto|chiamato|segnalato))",
            False,
        ),
        (
            "repeated_contact",
            0.35,
            r"\b(?:di\s+nuovo|ancora|un'?altra\s+volta|nuovamente)\b",
            False,
        ),
        (
            "waiting_time",
            0.6,
            r"\b(?:sto\s+aspettando|in\s+attesa|aspetto\s+(?:da|ancora)|nessuna\s+risposta|nessuno\s+(?:mi\s+)?risponde|da\s+(?:lunedi|martedi|mercoledi|giovedi|venerdi|sabato|domenica|ieri))\b",
            False,
        ),
        (
            "service_failure",
            0.8,
            r"\b(?:nessuno\s+(?:mi\s+)?(?:risponde|aiuta|richiama)|mi\s+(?:hanno|ha)\s+(?:riattaccato|chiuso\s+il\s+telefono)|(?:perso|smarrito|persa)\s+(?:la\s+mia\s+|il\s+mio\s+)?(?:valigia|bagaglio|pacco)|(?:volo|ordine)\s+(?:\w+\s+)?cancellat[oa]|servizio\s+clienti\s+(?:pessimo|inesistente|vergognoso)|si\s+rifiutan?o\s+di)",
            True,
        ),
        (
            "service_failure",
            0.65,
            r"\b(?:non\s+(?:\w+\s+)?funziona\w*|ha\s+smesso\s+di\s+funzionare|non\s+riesco\s+(?:ad?\s+)?(?:accedere|entrare|pagare|collegarmi)|(?:arrivat[oa]|consegnat[oa])\s+(?:rott[oa]|danneggiat[oa]|difettos[oa])|(?:mai|non\s+e)\s+arrivat[oa]|si\s+blocca|crasha)",
            False,
        ),
        (
            "problem",
            0.5,
            r"\b(?:errore|guasto|problema|problemi|bug|rifiutat[oa]|in\s+sospeso|bloccat[oa])\b",
            True,
        ),
        (
            "profanity",
            0.85,
            r"\b(?:cazz\w*|merda|stronz\w*|vaffanculo|fanculo|coglion\w*|porca\s+(?:puttana|miseria)|minchia|incazz\w*)\b",
            False,
        ),
        ("profanity", 0.55, r"\b(?:accidenti|mannaggia|cavolo|diamine)\b", False),
        (
            "bot_failure",
            0.7,
            r"\b(?:non\s+(?:mi\s+)?capisci|non\s+e\s+(?:quello\s+)?(?:che|cio\s+che)\s+ho\s+(?:chiesto|detto)|(?:bot|robot)\s+inutile|non\s+mi\s+(?:stai\s+)?aiut\w+|te\s+l'?ho\s+gia\s+detto)",
            False,
        ),
        (
            "sarcasm",
            0.7,
            r"\b(?:grazie\s+di\s+niente|grazie\s+per\s+niente|complimenti\s+per\s+(?:il|la|l'?)\s*(?:servizio|assistenza)|bel\s+servizio)\b",
            False,
        ),
        (
            "sarcasm_weak",
            0.7,
            r"\b(?:adoro\s+(?:quando|come|aspettare)|fantastico|ottimo|perfetto|grazie\s+mille|complimenti|bravi|che\s+bello|meraviglioso|si,?\s+certo)\b",
            False,
        ),
        (
            "complaint_cue",
            0.65,
            r"\b(?:(?:una\s+)?vergogna|vergognoso|inaccettabile|inammissibile|scandal\w+|pessim[oa]|indecente|ridicolo|uno\s+schifo|sempre\s+peggio|presa\s+in\s+giro)\b",
            False,
        ),
    ),
)

LANGUAGES: dict[str, Language] = {lang.code: lang for lang in (ES, DE, FR, PT, IT)}
