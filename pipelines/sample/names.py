"""Word lists for fake names of people, schools and systems (no real person is named)."""

from __future__ import annotations

# fmt: off
FIRST_NAMES_FEMALE: tuple[str, ...] = (
    "Aaliyah", "Abigail", "Addison", "Alexis", "Allison", "Amelia", "Anna", "Aubrey", "Ava",
    "Bailey", "Brianna", "Brooklyn", "Caroline", "Chloe", "Claire", "Destiny", "Ella", "Emily",
    "Emma", "Faith", "Gabrielle", "Grace", "Hailey", "Hannah", "Harper", "Isabella", "Jada",
    "Jasmine", "Kaylee", "Kennedy", "Laila", "Lauren", "Layla", "Leah", "Lillian", "Madison",
    "Makayla", "Mia", "Morgan", "Natalie", "Nevaeh", "Olivia", "Paisley", "Peyton", "Riley",
    "Sarah", "Savannah", "Sophia", "Taylor", "Zoey", "María", "Renée", "Zoë", "Ximena",
)

FIRST_NAMES_MALE: tuple[str, ...] = (
    "Aiden", "Andrew", "Anthony", "Austin", "Benjamin", "Brandon", "Caleb", "Cameron", "Carter",
    "Christian", "Christopher", "Cole", "Daniel", "David", "Dylan", "Elijah", "Ethan", "Gabriel",
    "Gavin", "Hunter", "Isaiah", "Jackson", "Jacob", "Jaden", "James", "Jayden", "Jeremiah",
    "John", "Jonathan", "Jordan", "Joshua", "Josiah", "Landon", "Levi", "Logan", "Lucas", "Mason",
    "Matthew", "Michael", "Noah", "Owen", "Parker", "Ryan", "Samuel", "Thomas", "Tyler", "William",
    "Wyatt", "Xavier", "Zachary", "José", "Andrés", "Ángel", "Jesús",
)

LAST_NAMES: tuple[str, ...] = (
    "Adams", "Allen", "Bailey", "Baker", "Banks", "Barnes", "Bell", "Bennett", "Brooks", "Brown",
    "Bryant", "Butler", "Campbell", "Carter", "Clark", "Coleman", "Collins", "Cook", "Cooper",
    "Davis", "Dixon", "Edwards", "Ellis", "Evans", "Fields", "Fisher", "Ford", "Foster", "Gibson",
    "Gordon", "Graham", "Gray", "Green", "Griffin", "Hall", "Hamilton", "Harris", "Hayes",
    "Henderson", "Hill", "Holmes", "Howard", "Hughes", "Hunt", "Jackson", "James", "Jenkins",
    "Johnson", "Jones", "Jordan", "Kelly", "King", "Lawson", "Lee", "Lewis", "Long", "Marshall",
    "Martin", "Mason", "McCoy", "Miller", "Mitchell", "Moore", "Morgan", "Morris", "Murphy",
    "Nelson", "O'Neal", "Owens", "Palmer", "Parker", "Patterson", "Perry", "Phillips", "Porter",
    "Powell", "Price", "Reed", "Reynolds", "Richardson", "Roberts", "Robinson", "Rogers", "Ross",
    "Russell", "Sanders", "Scott", "Simmons", "Smith", "Spencer", "Stewart", "Sullivan", "Taylor",
    "Thomas", "Thompson", "Tucker", "Turner", "Walker", "Wallace", "Ward", "Washington", "Watson",
    "White", "Williams", "Wilson", "Wood", "Wright", "Young", "García", "Hernández", "Martínez",
    "Peña", "Ramírez", "Núñez",
)

SCHOOL_NAME_WORDS: tuple[str, ...] = (
    "Ashford", "Bay Minette", "Beulah", "Big Creek", "Blue Springs", "Boaz", "Brookwood",
    "Cedar Ridge", "Center Point", "Cherokee Bend", "Clay", "Cloverdale", "Coosa Valley",
    "Cottonwood", "Crossville", "Daphne", "Deer Valley", "Dogwood", "East Side", "Eastwood",
    "Elmore", "Fairview", "Forest Hills", "Fox Run", "Glen Oaks", "Grand Bay", "Greenwood",
    "Hartselle", "Hazel Green", "Heritage", "Highland", "Hillcrest", "Holly Pond",
    "Indian Springs", "Jefferson", "Kate Duncan", "Lakeview", "Liberty", "Lincoln", "Locust Fork",
    "Magnolia", "Maple Grove", "Meadowview", "Midfield", "Mill Creek", "Minor", "Monroe",
    "Mountain Brook", "North Side", "Oak Grove", "Oak Mountain", "Orchard", "Park Crest",
    "Pine Level", "Pinson", "Pleasant Grove", "Red Bay", "Ridgecrest", "River Road", "Riverchase",
    "Rock Quarry", "Rosedale", "Saraland", "Shady Grove", "Shiloh", "South Side", "Spring Garden",
    "Sunset", "Sweetwater", "Tanner", "Twin Lakes", "Union Grove", "Valley Head", "Vestavia",
    "Walnut Park", "West End", "Westlawn", "Willow Bend", "Woodland", "Wynnton",
)

COUNTY_NAMES: tuple[str, ...] = (
    "Autauga", "Baldwin", "Barbour", "Bibb", "Blount", "Bullock", "Butler", "Calhoun", "Chambers",
    "Cherokee", "Chilton", "Choctaw", "Clarke", "Clay", "Cleburne", "Coffee", "Colbert", "Conecuh",
    "Coosa", "Covington", "Crenshaw", "Cullman", "Dale", "Dallas", "DeKalb", "Elmore", "Escambia",
    "Etowah", "Fayette", "Franklin", "Geneva", "Greene", "Hale", "Henry", "Houston", "Jackson",
    "Jefferson", "Lamar", "Lauderdale", "Lawrence", "Lee", "Limestone", "Lowndes", "Macon",
    "Madison", "Marengo", "Marion", "Marshall", "Mobile", "Monroe", "Montgomery", "Morgan",
    "Perry", "Pickens", "Pike", "Randolph", "Russell", "St. Clair", "Shelby", "Sumter",
    "Talladega", "Tallapoosa", "Tuscaloosa", "Walker", "Washington", "Wilcox", "Winston",
)

CITY_NAMES: tuple[str, ...] = (
    "Albertville", "Alexander City", "Andalusia", "Anniston", "Arab", "Athens", "Attalla",
    "Auburn", "Bessemer", "Birmingham", "Boaz", "Brewton", "Chickasaw", "Cullman", "Daleville",
    "Decatur", "Demopolis", "Dothan", "Elba", "Enterprise", "Eufaula", "Fairfield", "Florence",
    "Fort Payne", "Gadsden", "Geneva", "Gulf Shores", "Guntersville", "Haleyville", "Hartselle",
    "Homewood", "Hoover", "Huntsville", "Jacksonville", "Jasper", "Lanett", "Leeds", "Linden",
    "Madison", "Midfield", "Mountain Brook", "Muscle Shoals", "Oneonta", "Opelika", "Opp",
    "Orange Beach", "Oxford", "Ozark", "Pelham", "Pell City", "Phenix City", "Piedmont",
    "Russellville", "Saraland", "Satsuma", "Scottsboro", "Selma", "Sheffield", "Sylacauga",
    "Talladega", "Tallassee", "Tarrant", "Thomasville", "Troy", "Trussville", "Tuscaloosa",
    "Tuscumbia", "Vestavia Hills", "Winfield", "Chelsea", "Pike Road",
)

NOTE_TEMPLATES: tuple[str, ...] = (
    "Debriefed the {focus} lesson; teacher will try exit tickets next week.",
    "Modeled a think-aloud in grade {grade}, teacher observed and took notes.",
    "Planned the next {focus} unit together, aligned tasks to the standards.",
    "Looked at benchmark data for grade {grade}, regrouped students for small groups.",
    "Observed {focus} block, focus on student discourse. Follow-up scheduled.",
    "PLC: reviewed common assessment results, set a goal for grade {grade}.",
    "Gathered leveled texts and manipulatives for grade {grade} teachers.",
    "Co-taught a small group, then debriefed pacing and questioning.",
    "Set a coaching goal on checks for understanding, next visit in two weeks.",
    "Short check-in, teacher asked for help with {focus} centers",
    "Walkthrough with the principal, no individual feedback given.",
    "Led PD on data-driven instruction for the {focus} team, 12 attended.",
    "Teacher cancelled, used the time to prepare materials.", "",
)
# fmt: on
