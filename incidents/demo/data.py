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

# The catalogue's names for Chinese readers (issue 19 item 10).
NAMES_ZH = {
    "Hardware": "硬件", "Laptop": "笔记本电脑", "Desktop": "台式机", "Monitor": "显示器", "Printer": "打印机",
    "Mobile phone": "手机", "Software": "软件", "Installation": "安装", "Licence": "许可证",
    "Error or crash": "错误或崩溃", "Update": "更新", "Network": "网络", "Wi-Fi": "无线网络", "VPN": "VPN",
    "Office network": "办公网络", "Slow connection": "连接缓慢", "Access": "访问权限", "Password": "密码",
    "Account": "账户", "Permissions": "权限", "Multi-factor authentication": "多因素认证",
    "E-mail": "电子邮件", "Mailbox": "邮箱", "Calendar": "日历", "Distribution list": "通讯组",
    "Spam and phishing": "垃圾邮件和钓鱼",
    "Telephony": "电话", "Desk phone": "座机", "Voicemail": "语音信箱", "Conference calls": "电话会议",
    "Business application": "业务应用", "Payroll": "薪资", "CRM": "客户关系管理", "ERP": "ERP",
    "Web shop": "网上商店", "HR portal": "人力资源门户", "Intranet": "内网",
    "New laptop": "新笔记本电脑", "Software installation": "软件安装",
    "New monitor or peripheral": "新显示器或外设", "Access to a shared folder": "共享文件夹访问权限",
    "New mailbox": "新邮箱", "Distribution list change": "通讯组变更", "Password reset": "重置密码",
    "New user account": "新用户账户", "VPN access": "VPN 访问", "New desk phone": "新座机",
    "CRM licence": "CRM 许可证", "Payroll report access": "薪资报表访问权限",
}  # fmt: skip

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
