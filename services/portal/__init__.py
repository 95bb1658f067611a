"""The web portal: officials, leaders, Sở Nội vụ and auditors use D73 in a browser.

It owns no business data and publishes no events: every page calls the three services' REST
APIs with the signed-in person's token, and every rule stays in the services.
"""
