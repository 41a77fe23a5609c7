"""The demo desk's fixed data: catalogue, topics, texts and the mix of statuses and channels."""

from datetime import timedelta

SEED = 20260601

CATEGORIES = {
    "Hardware": ["Laptop", "Desktop", "Monitor", "Printer", "Mobile phone"],
    "Software": ["Installation", "Licence", "Error or crash", "Update"],
    "Network": ["Wi-Fi", "VPN", "Office network", "Slow connection"],
    "Access": ["Password", "Account", "Permissions", "Multi-factor authentication"],
    "E-mail": ["Mailbox", "Calendar", "Distribution list", "Spam and phishing"],
    "Telephony": ["Desk phone", "Voicemail", "Conference calls"],
    "Business application": ["Payroll", "CRM", "ERP", "Web shop", "HR portal", "Intranet"],
}

# service, request type, fulfilment group (None: the service's), default urgency, description, titles
REQUEST_TYPES = [
    ("Service desk", "New laptop", "Service Desk", 3, "A standard laptop with the usual software.",
     ["New laptop for a new starter", "Replacement laptop (battery worn out)", "Laptop for the intern"]),
    ("Service desk", "Software installation", "Service Desk", 3, "Software from the approved list.",
     ["Install Visio", "Install Power BI Desktop", "Install 7-Zip", "Install Adobe Acrobat Pro"]),
    ("Service desk", "New monitor or peripheral", "Service Desk", 3, "A monitor, dock, headset or keyboard.",
     ["Second monitor for my desk", "Noise-cancelling headset", "USB-C docking station"]),
    ("File sharing", "Access to a shared folder", None, 2, "Read or write access to a team folder.",
     ["Access to Finance/Budget 2027", "Write access to Marketing/Campaigns", "Access to HR/Policies"]),
    ("E-mail", "New mailbox", None, 3, "A personal or shared mailbox.",
     ["Shared mailbox for the support team", "Mailbox for a new starter", "Mailbox for events@"]),
    ("E-mail", "Distribution list change", None, 3, "Add or remove members of a list.",
     ["Add me to all-managers@", "Remove leavers from sales-uk@"]),
    ("Identity/SSO", "Password reset", "Service Desk", 1, "Reset a forgotten or expired password.",
     ["Password reset: locked out", "Password expired while travelling"]),
    ("Identity/SSO", "New user account", "Service Desk", 2, "An account for a new starter.",
     ["Account for a new starter in Finance", "Account for a contractor"]),
    ("VPN", "VPN access", None, 2, "Remote access for a person or a supplier.",
     ["VPN access for working from home", "VPN access for a supplier engineer"]),
    ("Telephony", "New desk phone", None, 3, "A desk phone and an extension.",
     ["Desk phone for the new meeting room", "Extension for a new starter"]),
    ("CRM", "CRM licence", None, 3, "A Dynamics CRM licence.", ["CRM licence for a new account manager"]),
    ("Payroll", "Payroll report access", None, 3, "Access to payroll reports.",
     ["Monthly payroll report access"]),
]  # fmt: skip

# service -> (title, category, subcategory)
INCIDENT_TOPICS = {
    "E-mail": [
        ("Outlook keeps asking for my password", "E-mail", "Mailbox"),
        ("Cannot send e-mails with attachments", "E-mail", "Mailbox"),
        ("Meeting invitations arrive twice", "E-mail", "Calendar"),
        ("Suspicious e-mail asking for my bank details", "E-mail", "Spam and phishing"),
        ("邮箱无法同步到手机", "E-mail", "Mailbox"),
    ],
    "Payroll": [
        ("Cannot open my payslip", "Business application", "Payroll"),
        ("Overtime missing from this month's pay", "Business application", "Payroll"),
    ],
    "CRM": [
        ("CRM is very slow when opening accounts", "Business application", "CRM"),
        ("CRM export to Excel fails", "Business application", "CRM"),
    ],
    "VPN": [
        ("VPN disconnects every few minutes", "Network", "VPN"),
        ("Cannot connect to the VPN from the hotel", "Network", "VPN"),
        ("VPN 连接速度很慢", "Network", "VPN"),
    ],
    "Intranet": [
        ("Intranet news page shows an error", "Business application", "Intranet"),
        ("Intranet search finds nothing", "Business application", "Intranet"),
    ],
    "HR portal": [
        ("Holiday request stuck in approval", "Business application", "HR portal"),
        ("HR portal logs me out straight away", "Business application", "HR portal"),
    ],
    "Finance ERP": [
        ("Invoice approval screen does not load", "Business application", "ERP"),
        ("Month-end report job failed", "Business application", "ERP"),
    ],
    "Web shop": [
        ("Customers cannot pay by card in the web shop", "Business application", "Web shop"),
        ("Product images missing in the web shop", "Business application", "Web shop"),
    ],
    "File sharing": [
        ("Shared drive is very slow", "Network", "Slow connection"),
        ("Cannot open files in the Finance folder", "Access", "Permissions"),
        ("Sync client shows conflicts on every file", "Software", "Error or crash"),
    ],
    "Telephony": [
        ("Desk phone has no dial tone", "Telephony", "Desk phone"),
        ("Voicemail PIN not accepted", "Telephony", "Voicemail"),
        ("电话会议时声音断断续续", "Telephony", "Conference calls"),
    ],
    "Service desk": [
        ("Laptop will not start after the update", "Hardware", "Laptop"),
        ("Printer on the third floor prints blank pages", "Hardware", "Printer"),
        ("Second monitor not detected", "Hardware", "Monitor"),
        ("Excel crashes when opening large files", "Software", "Error or crash"),
        ("Wi-Fi drops in the meeting rooms", "Network", "Wi-Fi"),
    ],
    "Identity/SSO": [
        ("Single sign-on loops back to the login page", "Access", "Account"),
        ("Authenticator app lost with my old phone", "Access", "Multi-factor authentication"),
    ],
}
DESCRIPTIONS = [
    "It started this morning. I restarted my computer but it did not help.",
    "Since yesterday afternoon. Colleagues next to me have the same problem.",
    "It happens every time I try. Screenshot attached in my e-mail to the desk.",
    "Intermittent: it works for a while, then stops again.",
    "This blocks my work today, please help.",
    "从今天早上开始，重启之后仍然不行。",
]
AGENT_QUESTIONS = [
    "Thanks for reporting this. Does it also happen on another computer?",
    "Could you tell us the exact error message you see?",
    "We are looking into it. Which office are you working from today?",
    "Could you try again after signing out and in, and let us know?",
]
REQUESTER_REPLIES = [
    "Yes, same thing on my colleague's computer.",
    "The message says “Connection to the server was lost”.",
    "I am in the London office, third floor.",
    "Tried again, still the same.",
    "好的，我已经重试过了，问题依旧。",
]
WORK_NOTES = [
    "Checked the logs: authentication errors from the proxy since 08:10.",
    "Reproduced on a test account. Looks like a profile issue.",
    "Known issue with the last client update; applying the documented workaround.",
    "Asked the vendor for the hotfix, case 88231.",
    "Cleared the cached credentials remotely.",
]
RESOLUTIONS = {
    "solved": ["Reinstalled the client and restored the profile.", "Replaced the faulty part.",
               "Corrected the configuration on the server."],
    "workaround": ["Use the web version until the fix is released.",
                   "Restart the sync client as a workaround."],
    "advice": ["Explained how to change the setting in Options.", "Shared the how-to article."],
    "not_reproducible": ["Could not reproduce after several tests; please reopen if it comes back."],
    "fulfilled": ["Done, please check and let us know.", "Delivered and set up with the requester."],
}  # fmt: skip
RATING_COMMENTS = {5: "Quick and friendly, thank you!", 4: "Good, thanks.", 3: "It took a while.",
                   2: "Had to chase twice.", 1: "Still not happy with this."}  # fmt: skip
HOLD_TEXT = {
    "requester": "Could you send us the details when you are back at your desk?",
    "vendor": "Raised with the vendor; waiting for their answer.",
    "change": "The fix needs a change in the next maintenance window.",
}
REQUESTERS = [("alice", 35), ("tom", 25), ("liwei", 25), ("frank", 8), ("erin", 7)]
STATUSES = [("new", 8), ("assigned", 7), ("in_progress", 12), ("on_hold", 9), ("resolved", 10),
            ("closed", 46), ("cancelled", 8)]  # fmt: skip
CHANNELS = [("portal", 50), ("email", 20), ("phone", 20), ("api", 4), ("monitoring", 6)]
MIN = timedelta(minutes=1)
DAY = timedelta(days=1)
