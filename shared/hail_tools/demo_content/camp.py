"""The articles of "Year 9 Camp" (camp2026, not published yet): one ready, one still a
draft, one notice already sent."""

# ruff: noqa: RUF001 - typographic apostrophes in the texts are meant

ARTICLES = [
    {
        "id": "campkit1",
        "org": "demo-school",
        "created_by": "eddie",
        "title": "What to pack for Year 9 camp",
        "author": "Jack Ellery",
        "lead": (
            "Three days, two nights, one river and a forecast that changes by the hour: "
            "here is everything your child needs, and a few things they really do not."
        ),
        "body": (
            "<p>Year 9 camp runs from Wednesday 2 to Friday 4 December at the Riverbend "
            "Outdoor Centre. Students will be tramping, kayaking, building rafts and sleeping "
            "in cabins, so they need clothes that can get wet and muddy, and a second set "
            "that stays dry.</p>"
            "<h3>The kit list</h3>"
            "<ul><li>A sleeping bag, a pillow and a fitted sheet for a single bunk</li>"
            "<li>Two sets of clothes for outdoors, including a warm layer that is not "
            "cotton</li>"
            "<li>A rain jacket, even if the sun is shining when you leave</li>"
            "<li>Sturdy shoes for tramping and old trainers for the river</li>"
            "<li>Togs, a towel, a sun hat and sunblock</li>"
            "<li>A torch, a drink bottle and any medication, labelled</li></ul>"
            "<h3>Please leave at home</h3>"
            "<p>Phones stay at school in the office safe for the three days; there is no "
            "signal at Riverbend anyway. Please do not pack food: the centre’s kitchen feeds "
            "everyone very well, and the possums find anything hidden in a bag.</p>"
            "<p>Bags are packed and loaded at 8 am on Wednesday. Buses return to school at "
            "about 3 pm on Friday.</p>"
        ),
        "date": "2026-11-23 01:00:00",
        "location": "Riverbend Outdoor Centre",
        "status": "ready",
        "flagged": False,
        "tags": ["outdoors", "notices"],
        "private_tags": ["principal"],
        "picture": (
            "A tramping pack laid out on a wooden deck with a sleeping bag, torch, drink "
            "bottle, rain jacket and a pair of gumboots"
        ),
    },
    {
        "id": "campmed1",
        "org": "demo-school",
        "created_by": "paula",
        "title": "Camp forms and payments due Friday 20 November",
        "author": "School office",
        "lead": "The medical form and the camp fee are both due on <b>Friday 20 November</b>.",
        "body": (
            "<p>Every Year 9 student needs a signed medical and consent form before they can "
            "go on camp. Forms went home last week and are also at the office.</p>"
            "<p>The camp fee is $185 and can be paid at the office or online. If the cost is "
            "a worry for your family, please talk to Mrs Nair in confidence: no student will "
            "miss camp because of it.</p>"
        ),
        "date": "2026-11-10 00:20:00",
        "location": "",
        "status": "published",
        "flagged": False,
        "tags": ["notices"],
        "private_tags": [],
        "picture": "A stack of camp consent forms in a wire tray on the office counter",
    },
    {
        "id": "camplog1",
        "org": "demo-school",
        "created_by": "eddie",
        "title": "Camp diary: three days at Riverbend",
        "author": "Ruby Chen and Toby Ashworth (Year 9)",
        "lead": "Two Year 9 students kept a diary of camp, wet socks and all.",
        "body": (
            "<h3>Wednesday</h3>"
            "<p>The bus took two hours and Mr Ellery made us sing for most of it. Riverbend "
            "is a row of wooden cabins in a valley with a river at the bottom, and the river "
            "is freezing. We know because the first activity was a swim test.</p>"
            "<p>In the afternoon we built rafts out of barrels, planks and rope. Ours floated "
            "for about forty seconds. Cabin 4’s is still going, probably somewhere near the "
            "sea.</p>"
            "<h3>Thursday</h3>"
            "<p>The big tramp: six hours up to the lookout and back, through bush so thick "
            "you could not see the sky. Our instructor, Kiri, knew the name of every bird by "
            "its call. We saw a kererū so close we could hear its wings.</p>"
            "<p>After dinner there was a talent show. Cabin 2 did a haka they had written "
            "themselves and the teachers did a dance that we have been asked not to "
            "describe.</p>"
            "<h3>Friday</h3>"
            "<p>Kayaking in the morning, packing in the afternoon, and a very quiet bus ride "
            "home. Everyone was asleep before we reached the main road.</p>"
        ),
        "date": "2026-12-04 05:00:00",
        "location": "Riverbend Outdoor Centre",
        "status": "draft",
        "flagged": False,
        "tags": ["outdoors"],
        "private_tags": ["needsphoto"],
        "picture": (
            "Year 9 students in life jackets paddling yellow kayaks on a calm river between "
            "bush-covered hills"
        ),
    },
]
