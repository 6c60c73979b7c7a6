"""The word lists the synthetic graphics draw their text from."""

from __future__ import annotations


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split("|"))


GREETINGS = _words(
    "Happy New Year|Merry Christmas|Happy Birthday!|Congratulations!|Thank You|Good Morning"
    "|Happy Easter|Best Wishes|Happy Anniversary|Welcome Home|Get Well Soon|Happy Holidays"
    "|Season's Greetings|Happy Mother's Day|Eid Mubarak|Happy Diwali|Good Night|Love You"
)
SLOGANS = _words(
    "hey there, let's go viral!|follow for more|link in bio|new post alert|good vibes only"
    "|live, laugh, love|dream big, work hard|stay tuned|like & share|tag a friend who needs this"
    "|Monday mood|weekend loading...|you got this|coffee first|be kind|giveaway time!"
)
QUOTES = _words(
    "The best way to predict the future is to create it.|Every day is a fresh start."
    "|Do what you love, love what you do.|Small steps every day.|Stay hungry, stay foolish."
    "|Happiness is homemade.|Believe you can and you're halfway there.|Keep calm and carry on"
)
MEME_TOP = _words(
    "when you finally|me trying to|nobody:|that moment when|me at 3am|when the wifi"
    "|my brain at night|one does not simply|how it started|when mom says"
)
MEME_BOTTOM = _words(
    "fix the bug|works on my machine|it's friday|pretends to work|forgets everything"
    "|still loading|walk into mordor|how it's going|ships it anyway|we have food at home"
)
UI_LABELS = _words(
    "Settings|Messages|Photos|Camera|Search|Home|Profile|Notifications|Wallet|Maps|Music"
    "|Calendar|Mail|Weather|Clock|Contacts|Files|Store|Wi-Fi|Bluetooth|Battery|Privacy"
)
CHAT = _words(
    "ok|see you soon|lol|where are you?|on my way|sounds good!|did you see this?|haha yes"
    "|call me later|thanks!!|what time tomorrow?|I'm outside|can you send the photo?|omg"
)
BUTTONS = _words("Continue|Sign in|Save|Buy now|Share|Follow|Add to cart|OK")
SALE = _words("SALE|MEGA SALE|CLEARANCE|BLACK FRIDAY|HOT DEAL|SPECIAL OFFER|FLASH SALE|NEW IN")
SALE_LINES = _words("UP TO 70% OFF|ENDS SUNDAY|SHOP NOW|LIMITED TIME|WHILE STOCKS LAST|ONLINE")
EVENTS = _words(
    "Summer Festival|Live Music Night|Grand Opening|Yoga in the Park|Charity Run|Book Fair"
    "|Open House|Craft Market|Jazz Evening|Food Truck Friday|Art Workshop|Community Meeting"
)
ITEMS = _words(
    "Milk 1L|Bread|Eggs x12|Coffee|Apples|Rice 2kg|Soap|Batteries|Pasta|Tomatoes|Cheese"
    "|Water 6pk|T-shirt|Sneakers|Headphones|Lamp|Mug|Notebook|Sunglasses|Backpack"
)
STORES = _words("CORNER MARKET|FRESH FOODS|CITY PHARMACY|CAFE LUNA|HARDWARE PLUS|QUICK STOP")
QR_LINES = _words("SCAN ME|Scan to pay|Menu|Follow us|Scan for Wi-Fi|Join the group")
CHART_TITLES = _words(
    "Monthly sales|Users by region|Growth 2023|Survey results|Traffic sources|Revenue (k$)"
)
MESSAGES = _words(
    "Wishing you joy and happiness|With love, Anna|Thinking of you|All the best, Tom"
    "|Have a wonderful day|Cheers to you!|Hugs and kisses|From all of us"
)
LOREM = _words(
    "the|and|of|to|a|in|for|is|on|that|with|you|this|we|our|your|all|new|more|free|time|day"
    "|team|work|people|event|join|open|city|music|food|family|details|information|please|will"
    "|share|support|local|community|program|service|online|project|report|meeting|result"
)
CATEGORIES = _words("North|South|East|West|Web|Store|App|Email|Ads|Q1|Q2|Q3|Q4|Kids|Pets|Food")
MONTHS = _words("JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC")
DAYS = _words("MON|TUE|WED|THU|FRI|SAT|SUN")
