"""The articles of "Sports day results" (sports01): athletics day and the term's sport."""

# ruff: noqa: RUF001 - typographic apostrophes in the texts are meant

ATHLETICS_DAY = (
    "<p>Athletics day came close to being cancelled twice: once for the forecast, which "
    "promised rain all week, and once for the sprinklers, which came on by themselves at "
    "half past eight. By nine the sun was out, the field was merely damp, and more than "
    "six hundred students were sitting in their house colours behind the long-jump pit "
    "waiting for the first race.</p>"
    "<p>What follows is every result we could gather from the recorders’ clipboards, with "
    "thanks to the parents who wrote them down in the rain that never came.</p>"
    "<h2>The house points</h2>"
    "<p>Blue (Tūī) won the day for the first time in four years, thanks largely to the "
    "relays and to a Year 9 team that entered every single field event.</p>"
    "<ol><li>Tūī (blue): 412 points</li>"
    "<li>Kererū (red): 406 points</li>"
    "<li>Kārearea (yellow): 371 points</li>"
    "<li>Pīwakawaka (green): 344 points</li></ol>"
    "<h2>Records broken</h2>"
    "<p>Three school records fell, two of them in the same hour:</p>"
    "<ul><li><b>Junior girls’ 800 m:</b> Ana Vaifale (Year 9), 2 min 31.4 s, beating the "
    "2009 record by almost two seconds</li>"
    "<li><b>Intermediate boys’ high jump:</b> Eli Morgan (Year 10), 1.71 m</li>"
    "<li><b>Senior mixed 4 × 100 m relay:</b> Tūī, 49.8 s</li></ul>"
    "<blockquote>I didn’t know it was a record until everyone started screaming. I thought "
    "I’d dropped something.</blockquote>"
    "<p>That was Ana, moments after the 800 m, still holding the baton she had not needed.</p>"
    "<h2>Champions</h2>"
    "<h3>Junior (Year 9)</h3>"
    "<ul><li>Girls: Ana Vaifale, Tūī</li><li>Boys: Kieran Douglas, Kererū</li></ul>"
    "<h3>Intermediate (Year 10 and 11)</h3>"
    "<ul><li>Girls: Zoe Hartley, Kārearea</li><li>Boys: Eli Morgan, Tūī</li></ul>"
    "<h3>Senior (Year 12 and 13)</h3>"
    "<ul><li>Girls: Mereana Hohaia, Pīwakawaka</li><li>Boys: Sam Okafor, Kererū</li></ul>"
    "<h2>The best of the rest</h2>"
    "<p>The staff relay was won, narrowly and not entirely within the rules, by the "
    "science department, who were seen starting their second runner before the first had "
    "arrived. An appeal is being considered. The tug of war final between Year 13 and the "
    "teachers went to Year 13 for the third year running; the teachers would like it noted "
    "that they were outnumbered.</p>"
    "<p>The house spirit cup went to Kārearea, whose yellow face paint, drum and "
    "twenty-metre banner made them impossible to ignore from anywhere on the field. The "
    "sportsmanship award went to Kieran Douglas, who stopped in the 1500 m to help a "
    "runner who had fallen, and still finished fourth.</p>"
    "<figure>Results are provisional until the recorders’ sheets are checked; any "
    "corrections will be in next week’s newsletter.<figcaption>The sports "
    "department</figcaption></figure>"
    "<p>Our thanks to the PTA for the sausage sizzle, to the caretakers for the lines, and "
    "to everyone who cheered. Students selected for the zone championships on 30 October "
    "will get a letter home this week.</p>"
)

ARTICLES = [
    {
        "id": "relay026",
        "org": "demo-school",
        "created_by": "paula",
        "title": "Blue house takes the relay in a photo finish",
        "author": "Tom Whitcombe",
        "lead": (
            "After five hours of athletics the house championship came down to the last "
            "leg of the last race, and to a few centimetres."
        ),
        "body": (
            "<p>Going into the senior relay, Tūī led Kererū by two points, which meant the "
            "whole day depended on one lap of the field. Kererū’s anchor took the baton two "
            "metres ahead; Tūī’s, Year 12 student Hemi Walker, caught her on the final bend "
            "and the two of them crossed the line together.</p>"
            "<p>The officials took almost ten minutes to agree, with the help of a parent’s "
            "phone video played in slow motion. Tūī by a hand. The blue end of the field has "
            "not stopped talking about it since.</p>"
            "<p>“We practised changeovers every lunchtime for three weeks,” said Hemi. "
            "“I was not going to be the one who lost it.”</p>"
        ),
        "date": "2026-10-11 03:20:00",
        "location": "School field",
        "status": "published",
        "flagged": False,
        "tags": ["sport"],
        "private_tags": ["consent"],
        "picture": (
            "Two senior runners lunging for the finish line, one in a blue singlet and one in "
            "red, a crowd of students cheering behind"
        ),
    },
    {
        "id": "athlday1",
        "org": "demo-school",
        "created_by": "paula",
        "title": "Athletics day: every result",
        "author": "Sina Leota",
        "lead": (
            "Four houses, three records, two tug of war finals and one disputed staff relay: "
            "the whole day, event by event."
        ),
        "body": ATHLETICS_DAY,
        "date": "2026-10-12 01:05:00",
        "location": "School field",
        "status": "published",
        "flagged": False,
        "tags": ["sport", "community"],
        "private_tags": ["factcheck"],
        "picture": (
            "A wide view of the field on athletics day: house tents along the fence, a "
            "long-jump pit in the foreground and runners on the far straight"
        ),
    },
    {
        "id": "touch026",
        "org": "demo-school",
        "created_by": "paula",
        "title": "Senior touch team reach the regional final",
        "author": "Mia Tanaka (Year 12)",
        "lead": "Seven wins from seven, and a final against last year’s champions on Saturday.",
        "body": (
            "<p>It has been an unbeaten season for the senior mixed touch team, who beat "
            "Harbourside College 9–6 in Saturday’s semi-final after trailing 2–4 at half "
            "time.</p>"
            "<p>Coach Ms Leota credited the defence, and in particular Tayla Simmonds, who "
            "forced three turnovers in the last ten minutes and then scored the try that put "
            "the game away. “We talked about staying patient,” she said. “They did exactly "
            "that.”</p>"
            "<p>The final is at the domain fields on Saturday at 11 am. Come and make some "
            "noise: bring something green.</p>"
        ),
        "date": "2026-10-12 04:45:00",
        "location": "Domain fields",
        "status": "published",
        "flagged": False,
        "tags": ["sport"],
        "private_tags": [],
        "picture": (
            "A touch player in a green bib diving over the line to score, two defenders a "
            "step behind"
        ),
    },
    {
        "id": "swim2026",
        "org": "demo-school",
        "created_by": "paula",
        "title": "Swimming sports move to the aquatic centre",
        "author": "Jack Ellery",
        "lead": "Swimming sports on Friday 6 November will be at the aquatic centre.",
        "body": (
            "<p>The school pool is being relined over the summer, so this year’s swimming "
            "sports will be at the aquatic centre. Buses leave school at 9 am; students need "
            "togs, a towel, a drink bottle and sunblock for the outdoor pool.</p>"
        ),
        "date": "2026-10-13 00:30:00",
        "location": "",
        "status": "published",
        "flagged": False,
        "tags": ["sport", "notices"],
        "private_tags": [],
        "picture": "An outdoor pool with lane ropes, a starting block in the foreground",
    },
    {
        "id": "coach001",
        "org": "demo-school",
        "created_by": "paula",
        "title": "Thank you to our volunteer coaches",
        "author": "Daniel Harker",
        "lead": "None of it would happen without them.",
        "body": (
            "<p>Forty-one parents, grandparents and former students coached or managed a "
            "school team this year, from the Year 7 futsal team to the senior rowing crew. "
            "Between them they gave up more Saturday mornings than we could count.</p>"
            "<p>To every one of you: thank you. We will say it properly, with afternoon tea, "
            "in the staffroom on Friday 27 November.</p>"
        ),
        "date": "2026-10-13 02:00:00",
        "location": "",
        "status": "published",
        "flagged": False,
        "tags": [],
        "private_tags": [],
        "picture": (
            "Parents in sun hats holding clipboards and stopwatches beside the high-jump mat"
        ),
    },
]
