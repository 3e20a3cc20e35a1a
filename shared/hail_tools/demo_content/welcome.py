"""The articles of "Welcome back!" (welcome1): the start of a new term."""

# ruff: noqa: RUF001 - typographic apostrophes in the texts are meant

ARTICLES = [
    {
        "id": "garden26",
        "org": "demo-school",
        "created_by": "paula",
        "title": "Year 7 plant a kitchen garden",
        "author": "Leilani Fonoti",
        "lead": (
            "Six raised beds, two trailer-loads of compost and one very patient caretaker: "
            "the empty corner behind B Block is now a kitchen garden, planted by Year 7."
        ),
        "body": (
            "<p>It started as a science question in Term 2: how much of what we eat at school "
            "could we grow ourselves? Year 7 measured the sun, tested the soil and worked out "
            "that the answer, for a few months of the year at least, was “quite a lot”, and "
            "that the sunny corner behind B Block was going to waste.</p>"
            "<p>Over the holidays Mr Whitcombe and a team of parents built six raised beds "
            "from macrocarpa sleepers donated by a local timber yard. When students came back "
            "the beds were waiting, full of compost, and every Year 7 class took one. In a "
            "single week they planted silverbeet, lettuces, spring onions, broad beans, "
            "radishes and a row of sunflowers “for the bees”.</p>"
            "<p>Each class has a roster for watering and weeding, and the harvest will go to "
            "the food technology room and the Friday sausage sizzle. Anything left over goes "
            "into a box by the office for families to take home: please help yourself.</p>"
            "<p>If you have spare seedlings, garden tools or a couple of hours on a Saturday "
            "morning, Ms Fonoti would love to hear from you.</p>"
        ),
        "date": "2026-08-27 02:15:00",
        "location": "Behind B Block",
        "status": "published",
        "flagged": False,
        "tags": ["learning", "community"],
        "private_tags": ["consent"],
        "picture": (
            "Year 7 students kneeling beside new raised garden beds, planting seedlings, "
            "with a wheelbarrow of compost in the foreground"
        ),
    },
    {
        "id": "library1",
        "org": "demo-school",
        "created_by": "paula",
        "title": "The library reopens, with a makerspace",
        "author": "Anjali Rao",
        "lead": (
            "New carpet, new shelves and a corner where you are <i>meant</i> to take things "
            "apart: the library is open again after its winter refit."
        ),
        "body": (
            "<p>For most of the holidays the library was a building site. The old issue desk "
            "has gone, the shelves are lower so you can see from one end of the room to the "
            "other, and the beanbags have been replaced by a reading nook under the windows "
            "that students designed themselves.</p>"
            "<p>The biggest change is at the back. The old workroom is now a makerspace with "
            "a 3D printer, two sewing machines, a box of old radios and keyboards to take to "
            "pieces, and a soldering station that is used only when a staff member is there. "
            "Any student can book a session at lunchtime; Year 9 and 10 technology classes "
            "will use it on Thursday afternoons.</p>"
            "<h3>Opening hours</h3>"
            "<ul><li>Monday to Thursday: 8.15 am to 4.30 pm</li>"
            "<li>Friday: 8.15 am to 3.30 pm</li>"
            "<li>Homework club: Tuesday and Thursday until 5 pm</li></ul>"
            "<p>And an amnesty: if you have a library book that has been under your bed since "
            "2024, bring it back this month and no one will say a word.</p>"
        ),
        "date": "2026-08-25 03:00:00",
        "location": "Library",
        "status": "published",
        "flagged": False,
        "tags": ["learning"],
        "private_tags": [],
        "picture": (
            "The refurbished library: students at a long table with a 3D printer and laptops, "
            "low bookshelves behind them"
        ),
    },
    {
        "id": "newstaf1",
        "org": "demo-school",
        "created_by": "alice",
        "title": "Five new faces in the staffroom",
        "author": "Daniel Harker",
        "lead": "Please make them welcome: five teachers joined us this term.",
        "body": (
            "<p>We are delighted to welcome five new staff this term. You will see them at "
            "the gate, on the field and at the parent evening on 10 September.</p>"
            "<h3>Sina Leota, Mathematics</h3>"
            "<p>Ms Leota comes to us from a large school in South Auckland, where she ran the "
            "maths extension programme. She coaches touch rugby and is, in her own words, "
            "“far too competitive at quiz nights”.</p>"
            "<h3>Marcus Bell, Science</h3>"
            "<p>Mr Bell spent eight years as a marine biologist before training to teach. "
            "Ask him about octopuses, but make sure you have time.</p>"
            "<h3>Hana Wirihana, te reo Māori</h3>"
            "<p>Whaea Hana joins the languages department and will lead kapa haka with "
            "Mr Tipene. She has already started a lunchtime waiata group for staff.</p>"
            "<h3>Priya Nair, Learning support</h3>"
            "<p>Mrs Nair works with students across all year levels and is the first person "
            "to talk to if you think your child needs extra help.</p>"
            "<h3>Jack Ellery, Physical education</h3>"
            "<p>Mr Ellery is a former rowing coach and has promised us a school rowing team "
            "by next summer.</p>"
        ),
        "date": "2026-08-24 01:00:00",
        "location": "",
        "status": "published",
        "flagged": False,
        "tags": ["community"],
        "private_tags": ["principal"],
        "picture": "The five new teachers standing together on the front steps of the school",
    },
    {
        "id": "busroute",
        "org": "demo-school",
        "created_by": "paula",
        "title": "Changes to the afternoon bus routes",
        "author": "School office",
        "lead": "From <b>Monday 31 August</b>, two afternoon buses leave ten minutes later.",
        "body": (
            "<p>Because of the roadworks on Station Road, the 3.20 pm buses to Hillcrest and "
            "to the Marina now leave at 3.30 pm from the bus bay on Kōwhai Street. Morning "
            "routes are unchanged.</p>"
            "<p>The new timetables are on the noticeboard outside the office. Questions to "
            "the office, please, not to the drivers.</p>"
        ),
        "date": "2026-08-27 00:40:00",
        "location": "Kōwhai Street bus bay",
        "status": "published",
        "flagged": True,
        "tags": ["notices"],
        "private_tags": ["factcheck"],
        "picture": "A yellow school bus pulling in to the bus bay beside the front gate",
    },
    {
        "id": "uniform1",
        "org": "demo-school",
        "created_by": "paula",
        "title": "Uniform shop hours",
        "author": "School office",
        "lead": "The uniform shop is open three mornings a week this term.",
        "body": (
            "<p>Tuesday, Wednesday and Friday, 8 to 9 am, in the old caretaker’s cottage. "
            "The second-hand rail is well stocked with jerseys and jackets at five dollars "
            "each.</p>"
        ),
        "date": "2026-08-24 00:30:00",
        "location": "",
        "status": "published",
        "flagged": False,
        "tags": ["notices"],
        "private_tags": [],
        "picture": "The uniform shop counter, folded green jerseys and a handwritten price list",
    },
]
