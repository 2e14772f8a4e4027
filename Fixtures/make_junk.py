#!/usr/bin/env python3
"""Writes Fixtures/junk/boilerplate.jsonl: 40 documents of web page furniture (menus, cookie
banners, footers, share bars, sign-up boxes), the kind of text quality filters must drop and
a quality classifier learns as negative. Written from scratch, deterministic."""
import json
import random

MENUS = ["Home", "About us", "Products", "Pricing", "Blog", "Careers", "Contact", "Support", "Docs",
         "Community", "Events", "Partners", "Press", "Login", "Sign up", "Search", "Cart (0)", "Help"]
COOKIES = ["We use cookies to improve your experience. Accept all | Reject | Settings",
           "This site uses cookies. By continuing you agree to our cookie policy.",
           "Your privacy matters. Manage consent preferences"]
FOOTERS = ["© 2024 Example Media Group. All rights reserved.", "Terms of use · Privacy policy · Imprint",
           "Follow us: Facebook Twitter Instagram YouTube", "Subscribe to our newsletter",
           "Enter your email", "Back to top ↑", "Powered by ExampleCMS"]
SHARE = ["Share", "Tweet", "Pin", "Email", "Print", "Copy link", "42 comments", "Reply", "Report",
         "Like", "Follow", "Save"]
RELATED = ["Related articles", "You may also like", "Most popular", "Trending now", "Read next"]
TEASERS = ["10 tips for a better morning", "The best laptops of the year", "Why cats sleep so much",
           "How to save on groceries", "Five gadgets under $50", "What to watch this weekend",
           "The secret to crispy fries", "Ranked: every sequel this summer"]


def doc(rng, i):
    lines = []
    lines += rng.sample(MENUS, rng.randint(5, 12))
    if rng.random() < 0.6:
        lines.append(rng.choice(COOKIES))
    lines += rng.sample(SHARE, rng.randint(3, 7))
    lines.append(rng.choice(RELATED))
    lines += rng.sample(TEASERS, rng.randint(3, 6))
    lines += rng.sample(FOOTERS, rng.randint(3, 6))
    return {"id": f"junk-{i:02d}", "text": "\n".join(lines)}


def main():
    rng = random.Random(7)
    with open("Fixtures/junk/boilerplate.jsonl", "w") as f:
        for i in range(40):
            f.write(json.dumps(doc(rng, i), ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
