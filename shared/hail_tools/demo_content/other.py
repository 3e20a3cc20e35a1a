"""Articles in no publication yet (demo-school's), and other-school's two."""

# ruff: noqa: RUF001 - typographic apostrophes in the texts are meant

ARTICLES = [
    {
        "id": "debate01",
        "org": "demo-school",
        "created_by": "paula",
        "title": "Debating team wins the regional cup",
        "author": "Anjali Rao",
        "lead": (
            "“That this house would ban homework” was defeated, and so were the other five schools."
        ),
        "body": (
            "<p>Our senior debating team of Grace Liu, Mateo Ruiz and Aroha Kingi won the "
            "regional cup on Thursday evening, arguing against a ban on homework in front of "
            "a packed council chamber.</p>"
            "<p>The judges praised the team’s rebuttals, and Aroha was named speaker of the "
            "tournament. The team goes on to the national competition in Wellington in "
            "April.</p>"
            "<p>Debating club meets on Mondays at lunchtime in Room 14. New members from any "
            "year level are welcome, including those who would quite like to ban homework.</p>"
        ),
        "date": "2026-09-18 06:30:00",
        "location": "Council chamber",
        "status": "published",
        "flagged": False,
        "tags": ["learning"],
        "private_tags": ["consent"],
        "picture": "Three students in school blazers holding a silver cup on a stage",
    },
    {
        "id": "concert1",
        "org": "demo-school",
        "created_by": "eddie",
        "title": "End-of-year concert: call for performers",
        "author": "Marcus Bell",
        "lead": (
            "Singers, bands, dancers and anyone with an unusual talent: sign up by 13 November."
        ),
        "body": (
            "<p>The end-of-year concert is on Thursday 10 December in the school hall. Every "
            "act gets five minutes on stage, a sound check in the afternoon and a front-row "
            "seat for the rest of the show.</p>"
            "<p>Sign-up sheets are on the music room door. Acts from staff are also "
            "welcome, though the science department’s request to perform “an experiment” "
            "is still being considered.</p>"
        ),
        "date": "2026-11-02 02:10:00",
        "location": "School hall",
        "status": "draft",
        "flagged": True,
        "tags": ["arts"],
        "private_tags": ["embargo", "factcheck"],
        "picture": "A school band on a lit stage, a drummer in the middle, a singer in front",
    },
    {
        "id": "board001",
        "org": "demo-school",
        "created_by": "alice",
        "title": "From the board: a covered walkway at last",
        "author": "Nikau Brennan, board chair",
        "lead": "Work starts in January on the walkway between the hall and A Block.",
        "body": (
            "<p>After three winters of wet shoes and longer ones of asking, the school board "
            "is pleased to confirm that the covered walkway between the hall and A Block has "
            "been funded and will be built over the summer holidays.</p>"
            "<p>The board thanks the families who wrote letters, and the Year 8 students who "
            "measured rainfall on the path for a whole term to make the case.</p>"
        ),
        "date": "2026-11-16 07:00:00",
        "location": "",
        "status": "ready",
        "flagged": False,
        "tags": ["community"],
        "private_tags": ["principal"],
        "picture": "An architect’s drawing of a covered walkway between two school buildings",
    },
    {
        "id": "othfair1",
        "org": "other-school",
        "created_by": "oscar",
        "title": "Spring fair raises $8,400 for the playground",
        "author": "Grace Whitlow",
        "lead": "Thank you to everyone who baked, bought, ran a stall or got soaked.",
        "body": (
            "<p>Saturday’s spring fair raised $8,400 towards the new junior playground. The "
            "cake stall sold out by eleven, and the teachers’ wet sponge stall raised more "
            "than any other (the principal stayed until the very last sponge).</p>"
            "<p>The playground will be built in the summer holidays.</p>"
        ),
        "date": "2026-10-05 03:00:00",
        "location": "Other School field",
        "status": "published",
        "flagged": False,
        "tags": ["othevent"],
        "private_tags": [],
        "picture": "Children queueing at a cake stall under a striped gazebo",
    },
    {
        "id": "othplay1",
        "org": "other-school",
        "created_by": "oscar",
        "title": "Drama club auditions",
        "author": "Grace Whitlow",
        "lead": "Auditions for the school play are next week.",
        "body": "<p>Come to the hall on Tuesday after school with a short poem to read.</p>",
        "date": "2026-10-20 01:30:00",
        "location": "",
        "status": "draft",
        "flagged": False,
        "tags": [],
        "private_tags": ["othcheck"],
        "picture": "An empty school stage with a single spotlight and a chair",
    },
]
