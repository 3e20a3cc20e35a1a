"""The demo content: a school's tags, private tags and articles, and the demo publications
made of them. Data only (fixed ids, listed in the README); `hail_tools.demo` writes it.

Every text is invented for this project, and so is every name in it. The articles are in
one module per publication they appear in (`other` holds the rest).

    TAGS, PRIVATE_TAGS    [{id, org, name, description}]
    ARTICLES              [{id, org, created_by, title, author, lead, body, date, location,
                            status, flagged, tags, private_tags, picture}]
                          (`tags`/`private_tags`: ids; `date`: UTC "YYYY-MM-DD HH:MM:SS";
                          `picture`: what its hero photo would show, for the images to come)
    PUBLICATION_ARTICLES  {publication id: {"articles": [ids in order], "featured": id}}
"""

from hail_tools.demo_content import camp, other, sports, welcome

ARTICLES: list[dict] = welcome.ARTICLES + sports.ARTICLES + camp.ARTICLES + other.ARTICLES

TAGS = [
    {
        "id": "sport",
        "org": "demo-school",
        "name": "Sport",
        "description": "Teams, fixtures, results and the people behind them.",
    },
    {
        "id": "arts",
        "org": "demo-school",
        "name": "Arts",
        "description": "Music, drama, dance and the visual arts.",
    },
    {
        "id": "learning",
        "org": "demo-school",
        "name": "Learning",
        "description": "What is happening in classrooms, the library and beyond.",
    },
    {
        "id": "community",
        "org": "demo-school",
        "name": "Community",
        "description": "Whānau, staff, volunteers and our neighbours.",
    },
    {
        "id": "notices",
        "org": "demo-school",
        "name": "Notices",
        "description": "Dates, forms, payments and changes families need to know about.",
    },
    {
        "id": "outdoors",
        "org": "demo-school",
        "name": "Outdoor education",
        "description": "Camps, trips and everything that happens outside the classroom.",
    },
    {
        "id": "othevent",
        "org": "other-school",
        "name": "Events",
        "description": "Fairs, concerts and open days.",
    },
]

PRIVATE_TAGS = [
    {
        "id": "needsphoto",
        "org": "demo-school",
        "name": "Needs photo",
        "description": "Waiting for a picture before it can go out.",
    },
    {
        "id": "factcheck",
        "org": "demo-school",
        "name": "Check facts",
        "description": "Names, dates or times to confirm with the office.",
    },
    {
        "id": "consent",
        "org": "demo-school",
        "name": "Photo consent checked",
        "description": "Every student pictured has consent on file.",
    },
    {
        "id": "principal",
        "org": "demo-school",
        "name": "Principal to approve",
        "description": "Mr Harker reads it before it is published.",
    },
    {
        "id": "embargo",
        "org": "demo-school",
        "name": "Hold until announced",
        "description": "Not to be published before the date in the first line.",
    },
    {
        "id": "othcheck",
        "org": "other-school",
        "name": "To check",
        "description": "Someone else reads it first.",
    },
]

PUBLICATION_ARTICLES = {
    "welcome1": {
        "articles": ["garden26", "library1", "newstaf1", "busroute", "uniform1"],
        "featured": "garden26",
    },
    "sports01": {
        "articles": ["relay026", "athlday1", "touch026", "swim2026", "coach001"],
        "featured": "relay026",
    },
    "camp2026": {
        "articles": ["campkit1", "campmed1", "camplog1"],
        "featured": "campkit1",
    },
    "othnews1": {"articles": ["othfair1"], "featured": "othfair1"},
}

__all__ = ["ARTICLES", "PRIVATE_TAGS", "PUBLICATION_ARTICLES", "TAGS"]
