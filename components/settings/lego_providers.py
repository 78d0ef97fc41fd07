"""The DNS provider codes the stack's ACME client accepts: a sourced data table.

The certificate is issued by pulumiverse-acme (requirements.txt: pulumiverse-acme==0.18.1), which
wraps vancluever/terraform-provider-acme v2.48.1 (pulumiverse/pulumi-acme provider/go.mod at
18f9d0c, the newest commit of its repository read; the 0.18.x tags were not in that snapshot).
That provider builds lego's DNS providers by name from a generated table:
vancluever/terraform-provider-acme:acme/dnsplugin/dns_provider_factory.go@v2.48.1,
`dnsProviderFactory`, keys below (its go.mod pins github.com/go-acme/lego/v4 v4.35.2). A name
outside it fails at `pulumi up` ("unknown DNS provider"), after the plan.

Refresh: on a pulumiverse-acme upgrade, read its provider/go.mod for the terraform-provider-acme
version, and copy the keys of `dnsProviderFactory` at that tag.
"""
from __future__ import annotations

SOURCE = "vancluever/terraform-provider-acme:acme/dnsplugin/dns_provider_factory.go@v2.48.1 (dnsProviderFactory)"
SOURCE_VERSION = "lego v4.35.2 (terraform-provider-acme v2.48.1, pulumiverse-acme 0.18.1)"

LEGO_DNS_PROVIDERS: frozenset[str] = frozenset((
    "acme-dns", "active24", "alidns", "aliesa", "allinkl", "alwaysdata", "anexia", "artfiles", "arvancloud",
    "auroradns", "autodns", "axelname", "azion", "azure", "azuredns", "baiducloud", "beget", "binarylane",
    "bindman", "bluecat", "bluecatv2", "bookmyname", "brandit", "bunny", "checkdomain", "civo", "clouddns",
    "cloudflare", "cloudns", "cloudru", "cloudxns", "com35", "conoha", "conohav3", "constellix",
    "corenetworks", "cpanel", "czechia", "ddnss", "derak", "desec", "designate", "digitalocean",
    "directadmin", "dnsexit", "dnshomede", "dnsimple", "dnsmadeeasy", "dnspod", "dode", "domeneshop",
    "dreamhost", "duckdns", "dyn", "dyndnsfree", "dynu", "easydns", "edgecenter", "edgedns", "edgeone",
    "efficientip", "epik", "eurodns", "excedo", "exec", "exoscale", "f5xc", "freemyip", "gandi", "gandiv5",
    "gcloud", "gcore", "gigahostno", "glesys", "godaddy", "googledomains", "gravity", "hetzner", "hostingde",
    "hostinger", "hostingnl", "hosttech", "httpnet", "httpreq", "huaweicloud", "hurricane", "hyperone",
    "ibmcloud", "iij", "iijdpf", "infoblox", "infomaniak", "internetbs", "inwx", "ionos", "ionoscloud",
    "ipv64", "ispconfig", "ispconfigddns", "iwantmyname", "jdcloud", "joker", "keyhelp", "leaseweb", "liara",
    "lightsail", "limacity", "linode", "liquidweb", "loopia", "luadns", "mailinabox", "manageengine",
    "manual", "metaname", "metaregistrar", "mijnhost", "mittwald", "myaddr", "mydnsjp", "mythicbeasts",
    "namecheap", "namedotcom", "namesilo", "namesurfer", "nearlyfreespeech", "neodigit", "netcup", "netlify",
    "netnod", "nicmanager", "nicru", "nifcloud", "njalla", "nodion", "ns1", "octenium", "onecloudru",
    "onlinenet", "oraclecloud", "otc", "ovh", "pdns", "plesk", "porkbun", "rackspace", "rainyun", "rcodezero",
    "regfish", "regru", "rfc2136", "rimuhosting", "route53", "safedns", "sakuracloud", "scaleway", "selectel",
    "selectelv2", "selfhostde", "servercow", "shellrent", "simply", "sonic", "spaceship", "stackpath", "syse",
    "technitium", "tencentcloud", "timewebcloud", "todaynic", "transip", "ucloud", "ultradns",
    "uniteddomains", "variomedia", "vegadns", "vercel", "versio", "vinyldns", "virtualname", "vkcloud",
    "volcengine", "vscale", "vultr", "webnames", "webnamesca", "websupport", "wedos", "westcn", "yandex",
    "yandex360", "yandexcloud", "zoneedit", "zoneee", "zonomi",
))
# In the table but unusable by `pulumi up`: `manual` asks a human at a terminal prompt to create the
# TXT record and press Enter (lego providers/dns/manual), and `exec` runs a local program the stack
# does not ship.
NOT_UNATTENDED: dict[str, str] = {
    "manual": "interactive: it waits for a human to create the TXT record and press Enter",
    "exec": "runs a program of your own (EXEC_PATH) that this stack does not ship",
}
